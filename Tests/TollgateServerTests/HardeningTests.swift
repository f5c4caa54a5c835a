import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateServer
import TollgateStore
import TollgateTestServers
import TollgateTestSupport

/// What an attacker tried: cross-site requests riding on a browser's credentials, paths smuggled
/// into outbound URLs, formulas in exports, bodies nested to lose their decision input.
@Suite("Hardening", .serialized)
struct HardeningTests {
    static let basicAdmin = "Basic " + Data("anyone:admin-secret".utf8).base64EncodedString()

    @Test func browserCredentialsChangeNothing() async throws {
        let f = try ServiceFixture(respond: { _ in nil })
        try await f.start(tokens: AuthTests.tokens)
        defer { Task { try? await f.stop() } }
        // What a cross-site form or fetch from a browser signed in to /audit as admin would send.
        let body = TaskActionTests.dev.serialized()
        let (create, _, c) = try await f.send(
            .POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: body,
            headers: [("Authorization", Self.basicAdmin), ("Content-Type", "text/plain")])
        #expect(create == 401)
        #expect(c["code"] == "40104")
        let (reload, _, _) = try await f.send(.POST, "/api/v1/tollgate/policies/reload", headers: [("Authorization", Self.basicAdmin)])
        #expect(reload == 401)
        #expect(try await f.call(.GET, "/api/v1/pp/devops/activities", bearer: "admin-secret").1 == [], "nothing was created")
        // A bearer token with a body that is not declared JSON is refused too.
        let (plain, _, _) = try await f.send(
            .POST, "/api/v1/pp/devops/activities", body: body,
            headers: [("Authorization", "Bearer admin-secret"), ("Content-Type", "text/plain")])
        #expect(plain == 415)
        // The auditor's pages still open with Basic.
        #expect(try await f.send(.GET, "/audit", headers: [("Authorization", Self.basicAdmin)]).0 == 200)
    }

    @Test func theBearerSchemeIsCaseInsensitive() async throws {
        let f = try ServiceFixture(respond: { _ in nil })
        try await f.start(tokens: AuthTests.tokens)
        defer { Task { try? await f.stop() } }
        for scheme in ["bearer", "BEARER", "Bearer"] {
            let (status, _, _) = try await f.send(.GET, "/api/v1/pp/devops/activities", headers: [("Authorization", "\(scheme) ci-secret")])
            #expect(status == 200, "\(scheme)")
        }
    }

    @Test func inputCannotAddPathsOrQueriesToRegistryCalls() async throws {
        let registry = FakeODMRegistry.walkthrough()
        let f = try ServiceFixture(respond: { _ in nil })
        try await registry.start(client: f.client)
        defer { registry.stop() }
        try await f.start(registry: .odm(address: registry.address))
        defer { Task { try? await f.stop() } }
        let forged: JSONValue = ["dataProductId": "x/../../../admin?drop=1#", "dataProductVersion": "1.0.0/../../secrets", "stage": "dev"]
        let (status, _) = try await f.call(.POST, "/api/v1/pp/devops/activities", body: forged)
        #expect(status == 422, "no such product")
        let uri = try #require(registry.requests.withLock { $0.last })
        #expect(uri == "/api/v1/pp/registry/products/x%2F..%2F..%2F..%2Fadmin%3Fdrop%3D1%23/versions/1.0.0%2F..%2F..%2Fsecrets?format=normalized")
    }

    @Test func tooDeepBodiesAreRefusedWithTheReason() async throws {
        let f = try ServiceFixture(respond: { _ in nil })
        try await f.start()
        defer { Task { try? await f.stop() } }
        _ = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: TaskActionTests.dev)
        let callback = try await TaskActionTests().callbackOf(f)
        let deep = "{\"status\": \"PROCESSED\", \"results\": " + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}"
        let (status, body) = try await f.call(.PATCH, callback, raw: deep)
        #expect(status == 400)
        #expect(body["message"]?.stringValue?.contains("nesting depth exceeds the maximum of 64") == true, "\(body)")
        #expect(try await f.call(.GET, "/api/v1/pp/devops/tasks/1/status").1["status"] == "PROCESSING", "nothing changed")
    }

    @Test func exportsNeutraliseSpreadsheetFormulas() throws {
        let record = DecisionRecord(
            sequence: 7, phase: .stageTransition, verdict: .pass, dataProductId: "=HYPERLINK(\"http://evil\")",
            dataProductVersion: "+1", stage: "-dev", activityId: 1, taskId: nil, principal: "@ci", policySetRevision: "r",
            input: [:], outcomes: [], gatedChange: "\tx", createdAt: Date(timeIntervalSince1970: 0))
        let cells = DecisionRendering.csvRow(record)
        #expect(cells.contains(#""'=HYPERLINK(""http://evil"")""#))
        #expect(cells.contains(#","'+1","'-dev","#))
        #expect(cells.contains(#","'@ci","#))
        #expect(cells.contains("\"'\tx\""))
        #expect(cells.hasPrefix("7,1970-01-01T00:00:00.000Z,"), "plain cells stay as they are")
    }

    @Test func aStatusThatRunsAheadOfItsCallbackLosesNoResults() async throws {
        let f = try ServiceFixture(respond: DevOpsAPITests.walkthrough, recoveryInterval: .milliseconds(50))
        f.executor.statusOnReceipt.withLock { $0 = "PROCESSED" }
        f.executor.callbackDelay.withLock { $0 = .milliseconds(800) }
        try await f.start(callbackOverdueSeconds: 0.1)
        defer { Task { try? await f.stop() } }
        _ = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: TaskActionTests.dev)
        try await f.waitFor(activity: 1, status: "PROCESSED")
        let (_, task) = try await f.call(.GET, "/api/v1/pp/devops/tasks/1")
        #expect(task["results"]?.stringValue.flatMap { try? JSONValue.parse($0) } == Walkthrough.vmResults, "the callback's results")
        let (_, waited) = try await f.call(.GET, "/api/v1/tollgate/tasks/1/history?kind=awaiting-callback")
        #expect(waited.arrayValue?.count == 1, "the executor was asked once the callback was overdue: \(waited)")
        let (_, second) = try await f.call(.GET, "/api/v1/pp/devops/tasks/2")
        #expect(second["results"]?.stringValue.flatMap { try? JSONValue.parse($0) } == Walkthrough.urlResults)
    }

    @Test func aDispatchWhoseAnswerWasLostIsNotSentAgain() async throws {
        let f = try ServiceFixture(respond: DevOpsAPITests.walkthrough, recoveryInterval: .milliseconds(50))
        f.executor.loseAnswers.withLock { $0 = 1 }
        try await f.start()
        defer { Task { try? await f.stop() } }
        _ = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: TaskActionTests.dev)
        try await f.waitFor(activity: 1, status: "PROCESSED")
        let sent = f.executor.tasks.compactMap { $0["id"]?.intValue }
        #expect(sent == [1, 2], "each task sent once, though the first answer was lost")
    }

    @Test(.enabled(if: ServiceStore.isSQLite, "reads the SQLite file itself"))
    func decisionListsArePagedByDefault() async throws {
        let f = try ServiceFixture(respond: { _ in nil })
        let store = try SQLiteLifecycleStore(path: f.directory.url("tollgate.db"))
        var changes = ChangeSet()
        for i in 0..<1_050 {
            changes.decisions.append(
                DecisionRecord(
                    phase: .stageTransition, verdict: .pass, dataProductId: "p", dataProductVersion: "1", stage: "dev",
                    activityId: Int64(i), taskId: nil, principal: "ci", policySetRevision: "r", input: ["i": .int(Int64(i))],
                    outcomes: [], gatedChange: "activity \(i) stays PLANNED: start blocked", createdAt: Date()))
        }
        _ = try await store.commit(changes)
        try await f.start()
        defer { Task { try? await f.stop() } }
        func page(_ query: String) async throws -> (count: Int, next: String?) {
            let response = try await f.client.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(f.port)/api/v1/tollgate/decisions\(query)"), timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 64 << 20)
            return (try JSONValue.parse(Array(body.readableBytesView)).arrayValue?.count ?? -1, response.headers.first(name: "X-Next-Cursor"))
        }
        let first = try await page("")
        #expect(first.count == 100, "a default page")
        #expect(first.next == "100")
        let most = try await page("?limit=5000")
        #expect(most.count == 1_000, "never more than the maximum page")
        #expect(most.next == "1000")
        #expect(try await page("?cursor=1000&limit=5000") == (50, nil))
    }

    @Test func connectionsBeyondTheCapAreAnswered503() async throws {
        var limits = ConnectionLimits()
        limits.maxConnections = 3
        let f = try ServiceFixture(respond: { _ in nil })
        try await f.start(connections: limits)
        defer { Task { try? await f.stop() } }
        // Connections opened one after another, each kept open after its answer. The test's own
        // HTTP client may hold one more, so two or three are served.
        var connections: [RawConnection] = []
        var answers: [(text: String, closed: Bool)] = []
        for _ in 0..<5 {
            let connection = try RawConnection(port: f.port)
            try connection.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answers.append(connection.receiveResponse(seconds: 10))
            connections.append(connection)
        }
        let served = answers.prefix { $0.text.hasPrefix("HTTP/1.1 200") }.count
        #expect((2...3).contains(served), "\(answers.map(\.text))")
        for refused in answers.dropFirst(served) {
            #expect(refused.text.hasPrefix("HTTP/1.1 503"), "\(refused.text)")
            #expect(refused.text.contains(#""code":"50300""#))
            #expect(refused.text.contains("server.maxConnections"))
            #expect(refused.closed, "a refused connection is closed")
        }
        connections.removeAll()
    }

    @Test func slowAndIdleConnectionsAreClosed() async throws {
        var limits = ConnectionLimits()
        limits.idleTimeoutSeconds = 0.5
        limits.bodyTimeoutSeconds = 0.5
        let f = try ServiceFixture(respond: { _ in nil })
        try await f.start(connections: limits)
        defer { Task { try? await f.stop() } }
        let slowHead = try RawConnection(port: f.port)
        try slowHead.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        let slowBody = try RawConnection(port: f.port)
        try slowBody.send(
            "POST /api/v1/pp/devops/activities HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"data")
        let silent = try RawConnection(port: f.port)
        #expect(slowHead.receive(seconds: 3).closed, "a head that never completes is closed")
        #expect(slowBody.receive(seconds: 3).closed, "a body that stalls is closed")
        #expect(silent.receive(seconds: 3).closed, "a connection that never asks is closed")
        #expect(try await f.call(.GET, "/health").0 == 200)
    }
}
