import Foundation
import NIOHTTP1
import Testing
import TollgateJSON
import TollgateServer
import TollgateTestSupport

/// One policy set across replicas: a reload on one replica reaches the others within seconds.
@Suite("Policy set across replicas")
struct PolicySetReplicaTests {
    static let allow = """
        return { name = "always-allow", phases = { "ACTIVITY_STAGE_TRANSITION" }, blocking = true,
          evaluate = function(input) return allow() end }
        """
    static let warn = """
        return { name = "always-warn", phases = { "ACTIVITY_STAGE_TRANSITION" }, blocking = false,
          evaluate = function(input) return deny("a reminder") end }
        """

    @Test func aReloadOnOneReplicaReachesTheOther() async throws {
        let database = ServiceConfiguration.Database.postgres(
            url: try PostgresTestCluster.url(), pool: 4, schema: PostgresTestCluster.freshSchema("policyset"))
        let first = try ServiceFixture(respond: DevOpsAPITests.walkthrough)
        let second = try ServiceFixture(respond: DevOpsAPITests.walkthrough)
        for fixture in [first, second] { try fixture.directory.write("policies/allow.lua", Self.allow) }
        try await first.start(policies: first.directory.url("policies"), database: database)
        try await second.start(policies: second.directory.url("policies"), database: database)
        let before = try await second.call(.GET, "/api/v1/tollgate/policies").1["revision"]

        // The same new file reaches both replicas' policy folders; only the first is asked to reload.
        for fixture in [first, second] { try fixture.directory.write("policies/warn.lua", Self.warn) }
        let (status, reloaded) = try await first.call(.POST, "/api/v1/tollgate/policies/reload")
        #expect(status == 200)
        let published = try #require(reloaded["revision"])
        #expect(published != before)

        let began = ContinuousClock.now
        var seen = before
        while seen != published, ContinuousClock.now - began < .seconds(10) {
            try await Task.sleep(for: .milliseconds(100))
            seen = try await second.call(.GET, "/api/v1/tollgate/policies").1["revision"]
        }
        #expect(seen == published, "the second replica follows the reload within seconds (took \(ContinuousClock.now - began))")
        try await first.stop()
        try await second.stop()
    }
}
