import Foundation
import NIOHTTP1
import Testing
import TollgateJSON
import TollgateTestServers
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
        #expect(outcomes.map(\.labels) == [["phase": "ACTIVITY_STAGE_TRANSITION", "policy": Self.hostileName, "outcome": "allow"]], "\(outcomes)")
        #expect(outcomes.first?.value == 1)
        let evaluations = samples.first { $0.name == "tollgate_policy_evaluation_seconds_count" }
        #expect(evaluations?.labels == ["policy": Self.hostileName])
        #expect(evaluations?.value == 1)
        #expect(samples.contains { $0.name == "tollgate_gate_verdicts_total" && $0.labels == ["phase": "ACTIVITY_STAGE_TRANSITION", "verdict": "pass"] })
        #expect(samples.contains { $0.name == "tollgate_http_requests_total" && $0.labels["route"] == "/api/v1/pp/devops/activities" })
        for gauge in ["tollgate_outbox_pending", "tollgate_outbox_oldest_age_seconds", "tollgate_decision_chain_head_sequence"] {
            #expect(samples.contains { $0.name == gauge && $0.value >= 0 }, "\(gauge)")
        }
        #expect((samples.first { $0.name == "tollgate_decision_chain_head_sequence" }?.value ?? 0) >= 1)
    }

    /// Dispatches by executor and outcome, tasks by status and the last verification of the log,
    /// each read back after the things they count happened.
    @Test func dispatchesTasksAndVerificationAreCounted() async throws {
        let f = try ServiceFixture(respond: DevOpsAPITests.walkthrough, recoveryInterval: .milliseconds(100))
        try await f.start(executorUp: false, dispatchRetrySeconds: ["azure-devops": 60])
        defer { Task { try? await f.stop() } }
        let body: JSONValue = ["dataProductId": "urn:org.opendatamesh:dataproducts:hello", "dataProductVersion": "1.0.0", "stage": "dev"]
        #expect(try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: body).0 == 201)

        func samples() async throws -> [PrometheusExposition.Sample] {
            try PrometheusExposition.parse(try await f.call(.GET, "/metrics").1.stringValue ?? "")
        }
        func value(_ name: String, _ labels: [String: String]) async throws -> Double? {
            try await samples().first { $0.name == name && $0.labels == labels }?.value
        }
        // The executor is down: the first dispatch is put off and counted as retried.
        try await waitUntil("a retried dispatch is counted") {
            try await value("tollgate_dispatches_total", ["executor": "azure-devops", "outcome": "retried"]) ?? 0 >= 1
        }
        #expect(try await value("tollgate_tasks", ["status": "PROCESSING"]) == 1)
        #expect(try await value("tollgate_tasks", ["status": "PLANNED"]) == 1, "the walk-through's second dev task waits its turn")
        #expect(try await value("tollgate_tasks", ["status": "FAILED"]) == 0)

        // Up again: the retry is accepted, and the stage runs to its end.
        try await f.executor.start()
        try await f.waitFor(activity: 1, status: "PROCESSED")
        #expect(try await value("tollgate_dispatches_total", ["executor": "azure-devops", "outcome": "accepted"]) == 2)
        #expect(try await value("tollgate_tasks", ["status": "PROCESSED"]) == 2)

        #expect(try await value("tollgate_decision_log_verified_at_seconds", [:]) == nil, "not verified yet")
        #expect(try await f.call(.GET, "/api/v1/tollgate/decisions/verify").0 == 200)
        let head = try #require(try await value("tollgate_decision_chain_head_sequence", [:]))
        #expect(try await value("tollgate_decision_log_verified_through_sequence", [:]) == head)
        #expect(try await value("tollgate_decision_log_problems", [:]) == 0)
        let verifiedAt = try #require(try await value("tollgate_decision_log_verified_at_seconds", [:]))
        #expect(abs(verifiedAt - Date().timeIntervalSince1970) < 60)

        // The Grafana dashboard in examples/ asks only for series the service writes.
        let dashboard = try String(contentsOfFile: RepositoryPaths.path("examples/grafana/tollgate.json"), encoding: .utf8)
        let asked = Set(dashboard.matches(of: /tollgate_[a-z_]+/).map { String($0.output) })
        #expect(asked.count >= 10, "\(asked)")
        let written = Set(try await samples().map(\.name))
        #expect(asked.subtracting(written).isEmpty, "asked for by the dashboard, not written: \(asked.subtracting(written).sorted())")
    }
}
