import Foundation
import Testing
import TollgateLifecycle
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// Job logs as long as GitLab keeps them (up to 100 MB): their end is kept, not lost.
extension GitLabExecutorTests {
    @Test func aNineMegabyteJobLogKeepsItsEnd() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        let lines = (1...150_000).map { "step \($0): simulating the plant, residual 0.\(String(repeating: "0", count: 30))\($0)" }
        let trace = lines.joined(separator: "\n") + "\nERROR: the solver diverged at t=42\n"
        #expect(trace.utf8.count > 9 << 20)
        rig.gitlab.planJobs([.init(name: "simulate", stage: "run", trace: trace)])
        let executor = rig.executor(logLimit: 64 << 10)
        let request = try await started(executor, Self.request())
        rig.gitlab.setJobs(ofChildOf: 500, ["simulate": "failed"])
        let report = try await waitForReport(executor, request)
        let log = try #require(report.logs.first)
        #expect(log.text.hasSuffix("step 150000: simulating the plant, residual 0.\(String(repeating: "0", count: 30))150000\nERROR: the solver diverged at t=42"))
        #expect(!log.text.contains("unavailable"), "\(log.text.prefix(200))")
        #expect(log.text.utf8.count <= 64 << 10)
        #expect(log.omittedBytes > trace.utf8.count - (64 << 10), "what was left out is counted: \(log.omittedBytes)")
        #expect(log.text.hasPrefix("step "), "starts at a whole line")
    }
}
