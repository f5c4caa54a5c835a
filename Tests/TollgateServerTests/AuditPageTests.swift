import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// The auditor's pages, rendered by a real headless browser (Chromium), with screenshots kept in
/// `.build/screenshots/`.
@Suite("Auditor's pages", .serialized)
struct AuditPageTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs Chromium off the cooperative pool, so the server in this process keeps answering.
    func browser(_ arguments: [String]) async throws -> TollgateCommand.Output {
        let path = try #require(Self.chromium, "Chromium is needed (scripts/setup installs the Debian package)")
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars"]
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try TollgateCommand.runProgram(path, common + arguments, timeout: .seconds(60)) })
            }
        }
    }

    func served() async throws -> ServiceFixture {
        // The fourth task (dev again) reports a malformed address, which vm-ip-wellformed blocks.
        let f = try ServiceFixture(respond: { task in
            task["id"]?.intValue == 4 ? ["status": "PROCESSED", "results": ["vm": ["name": "vm-dev", "ip": "198.168.20"]]] : DevOpsAPITests.walkthrough(task)
        })
        try await f.start()
        for (stage, id) in [("dev", 1), ("test", 2)] {
            let body: JSONValue = ["dataProductId": .string(DevOpsAPITests.product), "dataProductVersion": "1.0.0", "stage": .string(stage)]
            _ = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: body)
            try await f.waitFor(activity: id, status: "PROCESSED")
        }
        let again: JSONValue = ["dataProductId": .string(DevOpsAPITests.product), "dataProductVersion": "1.0.0", "stage": "dev"]
        _ = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: again)
        try await f.waitFor(activity: 3, status: "FAILED")
        return f
    }

    @Test func theBrowserShowsTheVerificationActivitiesDecisionsAndOneDecision() async throws {
        let f = try await served()
        defer { Task { try? await f.stop() } }
        let base = "http://127.0.0.1:\(f.port)"
        let screenshots = RepositoryPaths.path(".build/screenshots")
        try FileManager.default.createDirectory(atPath: screenshots, withIntermediateDirectories: true)

        let overview = try await browser(["--dump-dom", "\(base)/audit"])
        #expect(overview.status == 0, "\(overview.standardError.suffix(500))")
        #expect(overview.standardOutput.contains("Decision log intact: "), "\(overview.standardOutput.prefix(2000))")
        #expect(overview.standardOutput.contains("<a href=\"/audit/activities/2\">2</a>"))

        let filtered = try await browser(["--dump-dom", "\(base)/audit/decisions?phase=TASK_EXECUTION_RESULT&activityId=1"])
        let rows = filtered.standardOutput.components(separatedBy: "<tr>").count - 2
        #expect(rows == 2, "the two task results of activity 1: \(filtered.standardOutput.suffix(1500))")
        #expect(filtered.standardOutput.contains("<option value=\"TASK_EXECUTION_RESULT\" selected=\"\">"), "the form keeps the filter")

        let blocked = try await browser(["--dump-dom", "\(base)/audit/decisions?outcome=block"])
        #expect(blocked.standardOutput.contains("<span class=\"block\">block</span>"), "\(blocked.standardOutput.suffix(1500))")
        #expect(blocked.standardOutput.contains("vm-ip-wellformed: <span class=\"deny\">deny</span>"))

        let one = try await browser(["--dump-dom", "\(base)/audit/decisions/2"])
        #expect(one.standardOutput.contains("Decision 2: pass"))
        #expect(one.standardOutput.contains("198.168.20.120"), "the account shows the input")

        let activity = try await browser(["--dump-dom", "\(base)/audit/activities/1"])
        #expect(activity.standardOutput.contains("Stage history of this version"))

        for (name, path) in [("audit-overview", "/audit"), ("audit-decisions", "/audit/decisions"), ("audit-decision", "/audit/decisions/2")] {
            let file = "\(screenshots)/\(name).png"
            try? FileManager.default.removeItem(atPath: file)
            let shot = try await browser(["--screenshot=\(file)", "--window-size=1280,900", base + path])
            #expect(shot.status == 0, "\(shot.standardError.suffix(500))")
            let png = try #require(FileManager.default.contents(atPath: file), "no screenshot at \(file)")
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG")
            #expect(png.count > 10_000, "more than a blank page")
            Attachment.record(png, named: "\(name).png")
        }
    }

    /// The overview's charts, checked against the decisions the API lists, then drawn by
    /// Chromium; the screenshot is attached to the test's output.
    @Test func theOverviewChartsDecisionsPerDayObjectionsAndEvaluationTimes() async throws {
        let f = try await served()
        defer { Task { try? await f.stop() } }
        let decisions = try #require(try await f.call(.GET, "/api/v1/tollgate/decisions?limit=1000").1.arrayValue)
        let verdicts = Dictionary(grouping: decisions, by: { $0["verdict"]?.stringValue ?? "" }).mapValues(\.count)
        #expect(verdicts["block"] == 1, "the malformed address of the third run: \(verdicts)")

        let overview = try await browser(["--dump-dom", "http://127.0.0.1:\(f.port)/audit"]).standardOutput
        for label in ["Decisions per day by verdict", "Policies that block or warn most", "Evaluation time per policy (p50 and p95)"] {
            #expect(overview.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" aria-label=\"\(label)\""), "\(label)")
        }
        // Today's column: each verdict's count, as the API lists them.
        let today = String(Timestamp.format(Date()).prefix(10))
        let total = decisions.count
        for (verdict, count) in verdicts {
            #expect(overview.contains("<title>\(today): \(count) \(verdict) of \(total)</title>"), "\(verdict): \(overview.prefix(4000))")
        }
        #expect(overview.contains("<title>vm-ip-wellformed: 1 blocked</title>"), "the policy that blocked, with its count")
        // Every policy that was evaluated has its time drawn.
        let outcomes = decisions.flatMap { $0["outcomes"]?.arrayValue ?? [] }
        let evaluated = Set(outcomes.filter { $0["outcome"] != "skipped" }.compactMap { $0["policy"]?.stringValue })
        #expect(!evaluated.isEmpty)
        for policy in evaluated {
            #expect(overview.contains("<title>\(policy): p95 "), "\(policy)")
        }

        let screenshots = RepositoryPaths.path(".build/screenshots")
        try FileManager.default.createDirectory(atPath: screenshots, withIntermediateDirectories: true)
        let file = "\(screenshots)/audit-charts.png"
        try? FileManager.default.removeItem(atPath: file)
        let shot = try await browser(["--screenshot=\(file)", "--window-size=1600,1300", "http://127.0.0.1:\(f.port)/audit"])
        #expect(shot.status == 0, "\(shot.standardError.suffix(500))")
        let png = try #require(FileManager.default.contents(atPath: file), "no screenshot at \(file)")
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG")
        Attachment.record(png, named: "audit-charts.png")
    }

    @Test func browsersSignInWithBasicAuthenticationAndTheAuditorsToken() async throws {
        let f = try ServiceFixture(respond: { _ in nil })
        try await f.start(tokens: [.init(name: "audit", secret: "audit-secret", roles: [.auditor]), .init(name: "ci", secret: "ci-secret", roles: [.submitter])])
        defer { Task { try? await f.stop() } }
        func get(_ authorization: String?) async throws -> (Int, String?) {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(f.port)/audit")
            if let authorization { request.headers.add(name: "Authorization", value: authorization) }
            let response = try await f.client.execute(request, timeout: .seconds(10))
            return (Int(response.status.code), response.headers.first(name: "WWW-Authenticate"))
        }
        let (anonymous, challenge) = try await get(nil)
        #expect(anonymous == 401)
        #expect(challenge?.hasPrefix("Basic realm=\"Tollgate audit\"") == true, "the browser is asked to sign in")
        #expect(try await get("Basic " + Data("anyone:audit-secret".utf8).base64EncodedString()).0 == 200)
        #expect(try await get("Basic " + Data("anyone:ci-secret".utf8).base64EncodedString()).0 == 403, "a submitter is no auditor")
        #expect(try await get("Basic " + Data("anyone:wrong".utf8).base64EncodedString()).0 == 401)
    }
}
