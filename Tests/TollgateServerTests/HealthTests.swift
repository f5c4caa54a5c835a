import Foundation
import NIOHTTP1
import Testing
import TollgateJSON
import TollgateTestSupport

/// `/health` per component: UP without policies (nothing gated), DOWN naming what is broken.
@Suite("Health", .serialized)
struct HealthTests {
    @Test func noPoliciesIsUpAndSaysNothingIsGated() async throws {
        let f = try ServiceFixture(respond: { _ in nil })
        try FileManager.default.createDirectory(atPath: f.directory.url("no-policies"), withIntermediateDirectories: true)
        try await f.start(policies: f.directory.url("no-policies"))
        defer { Task { try? await f.stop() } }
        let (status, body) = try await f.call(.GET, "/health")
        #expect(status == 200, "\(body)")
        #expect(body["status"] == "UP")
        #expect(body["components"]?["database"]?["status"] == "UP")
        #expect(body["components"]?["policies"]?["status"] == "UP")
        #expect(body["components"]?["policies"]?["policies"] == 0)
        #expect(body["components"]?["policies"]?["gatedPhases"] == [])
        #expect(body["components"]?["policies"]?["message"] == "no policies are loaded: no phase is gated")
    }

    @Test func theShippedPoliciesGateEveryPhase() async throws {
        let f = try ServiceFixture(respond: { _ in nil })
        try await f.start()
        defer { Task { try? await f.stop() } }
        let (status, body) = try await f.call(.GET, "/health")
        #expect(status == 200)
        #expect(body["components"]?["policies"]?["gatedPhases"]?.arrayValue?.count == 3)
        #expect(body["components"]?["policies"]?["message"] == nil)
    }

    @Test func aBrokenPolicyIsDownNamingFileAndLine() async throws {
        let f = try ServiceFixture(respond: { _ in nil })
        _ = try f.directory.write("broken/bad.lua", "return {\n  name = 'bad',\n  evaluate = function(input) return allow( end\n}\n")
        try await f.start(policies: f.directory.url("broken"))
        defer { Task { try? await f.stop() } }
        let (status, body) = try await f.call(.GET, "/health")
        #expect(status == 503)
        #expect(body["status"] == "DOWN")
        #expect(body["components"]?["database"]?["status"] == "UP")
        #expect(body["components"]?["policies"]?["status"] == "DOWN")
        let message = body["components"]?["policies"]?["message"]?.stringValue ?? ""
        #expect(message.contains("bad.lua:3"), "\(message)")
    }
}
