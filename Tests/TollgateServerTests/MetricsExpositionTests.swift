import Foundation
import NIOHTTP1
import Testing
import TollgateJSON
import TollgateTestSupport

/// `/metrics` as Prometheus reads it: parsed by Prometheus' own client library, whatever the
/// policies are called.
@Suite("Metrics exposition")
struct MetricsExpositionTests {
    /// A name with every character that can break the text format: a pipe, quotes, a backslash and
    /// a line feed.
    static let hostileName = "pipe | \"quoted\" back\\slash\nsecond line"

    @Test func hostilePolicyNamesStayOneLabelValue() async throws {
        let f = try ServiceFixture(respond: { _ in ["status": "PROCESSED", "results": [:]] })
        let luaName = Self.hostileName.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        _ = try f.directory.write(
            "hostile/hostile.lua",
            """
            return {
              name = "\(luaName)",
              description = "allows everything, under a name that breaks naive exposition writers",
              phases = { "ACTIVITY_STAGE_TRANSITION" },
              blocking = false,
              evaluate = function(input) return allow() end,
            }
            """)
        try await f.start(policies: f.directory.url("hostile"))
        defer { Task { try? await f.stop() } }
        let body: JSONValue = ["dataProductId": "urn:org.opendatamesh:dataproducts:hello", "dataProductVersion": "1.0.0", "stage": "dev"]
        #expect(try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: body).0 == 201)

        let (status, metrics) = try await f.call(.GET, "/metrics")
        #expect(status == 200)
        let samples = try PrometheusExposition.parse(metrics.stringValue ?? "")
        let outcomes = samples.filter { $0.name == "tollgate_policy_outcomes_total" }
        #expect(outcomes.map(\.labels) == [["policy": Self.hostileName, "outcome": "allow"]], "\(outcomes)")
        #expect(outcomes.first?.value == 1)
        let evaluations = samples.first { $0.name == "tollgate_policy_evaluation_seconds_count" }
        #expect(evaluations?.labels == ["policy": Self.hostileName])
        #expect(evaluations?.value == 1)
        #expect(samples.contains { $0.name == "tollgate_gate_verdicts_total" && $0.labels == ["phase": "ACTIVITY_STAGE_TRANSITION", "verdict": "pass"] })
        #expect(samples.contains { $0.name == "tollgate_http_requests_total" && $0.labels["route"] == "/api/v1/pp/devops/activities" })
        for gauge in ["tollgate_outbox_pending", "tollgate_outbox_oldest_age_seconds", "tollgate_tasks_processing", "tollgate_decision_chain_head_sequence"] {
            #expect(samples.contains { $0.name == gauge && $0.value >= 0 }, "\(gauge)")
        }
        #expect((samples.first { $0.name == "tollgate_decision_chain_head_sequence" }?.value ?? 0) >= 1)
    }
}
