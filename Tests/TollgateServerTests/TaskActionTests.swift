import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing
import TollgateJSON
import TollgateTestServers
import TollgateTestSupport

@Suite("Task actions and executor checks", .serialized)
struct TaskActionTests {
    static let dev: JSONValue = [
        "dataProductId": "urn:org.opendatamesh:dataproducts:hello", "dataProductVersion": "1.0.0", "stage": "dev",
    ]

    func callbackOf(_ f: ServiceFixture) async throws -> String {
        for _ in 0..<200 where f.executor.tasks.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        return try #require(f.executor.tasks.first?["callbackRef"]?.stringValue)
    }

    @Test func abortingATaskAbortsItsActivityAndLateCallbacksAreRefused() async throws {
        let f = try ServiceFixture(respond: { _ in nil })
        try await f.start()
        defer { Task { try? await f.stop() } }
        _ = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: Self.dev)
        let callback = try await callbackOf(f)
        let (status, body) = try await f.call(.PATCH, "/api/v1/pp/devops/tasks/1/status?action=ABORT")
        #expect(status == 200)
        #expect(body["status"] == "ABORTED")
        #expect(try await f.call(.GET, "/api/v1/pp/devops/activities/1/status").1["status"] == "ABORTED", "as in ODM: aborted, none failed")
        #expect(try await f.call(.GET, "/api/v1/pp/devops/tasks/2/status").1["status"] == "ABORTED")
        let (late, lateBody) = try await f.call(.PATCH, callback, body: ["status": "PROCESSED", "results": Walkthrough.vmResults])
        #expect(late == 409)
        #expect(lateBody["code"] == "40911")
        let (start, startBody) = try await f.call(.PATCH, "/api/v1/pp/devops/tasks/2/status?action=START")
        #expect(start == 422)
        #expect(startBody["code"] == "40065")
    }

    @Test func anAbortAsksTheExecutorToCancelAndTheHistorySaysItCannot() async throws {
        let f = try ServiceFixture(respond: { _ in nil })
        try await f.start()
        defer { Task { try? await f.stop() } }
        _ = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: Self.dev)
        _ = try await callbackOf(f)
        // The executor has the task; its acceptance is recorded once its answer is back.
        try await waitUntil("the dispatch is recorded") {
            try await f.call(.GET, "/api/v1/tollgate/tasks/1/history?kind=dispatched").1.arrayValue?.isEmpty == false
        }
        #expect(try await f.call(.PATCH, "/api/v1/pp/devops/activities/1/status?action=ABORT").0 == 200)
        var history: JSONValue = []
        for _ in 0..<200 {
            history = try await f.call(.GET, "/api/v1/tollgate/tasks/1/history?kind=cancel").1
            if history.arrayValue?.isEmpty == false { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(history.arrayValue?.count == 1)
        #expect(
            history[0]?["message"]?.stringValue
                == "not cancelled (activity 1 was aborted): executor azure-devops cannot cancel a run; it may go on until it ends by itself")
        let (_, all) = try await f.call(.GET, "/api/v1/tollgate/tasks/1/history")
        #expect(all.arrayValue?.compactMap { $0["kind"]?.stringValue } == ["dispatched", "aborted", "cancel"])
        #expect(try await f.call(.GET, "/api/v1/tollgate/tasks/99/history").0 == 404)
    }

    @Test func theExecutorsWordOverridesTheCallbackWhenConfigured() async throws {
        let f = try ServiceFixture(respond: { _ in nil })
        try await f.start(checkAfterCallback: true)
        defer { Task { try? await f.stop() } }
        _ = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: Self.dev)
        let callback = try await callbackOf(f)
        f.executor.statuses.withLock { $0[1] = "FAILED" }
        let (status, body) = try await f.call(.PATCH, callback, body: ["status": "PROCESSED", "results": Walkthrough.vmResults])
        #expect(status == 200)
        #expect(body["status"] == "FAILED", "the executor says FAILED, whatever the callback claims")
        let (_, task) = try await f.call(.GET, "/api/v1/pp/devops/tasks/1")
        #expect(task["errors"]?.stringValue?.contains("FAILED") == true)
    }
}

@Suite("Secret headers", .serialized)
struct SecretHeaderTests {
    @Test(.enabled(if: ServiceStore.isSQLite, "reads the SQLite file itself"))
    func secretsReachTheirExecutorAndAreNeverStored() async throws {
        let f = try ServiceFixture(respond: { _ in nil })
        try await f.start()
        defer { Task { try? await f.stop() } }
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(f.port)/api/v1/pp/devops/activities?startAfterCreation=true")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "x-odm-azure-devops-executor-secret-pat", value: "s3cr3t-pat")
        request.headers.add(name: "x-odm-gitlab-executor-secret-token", value: "not-for-azure")
        request.body = .bytes(ByteBuffer(string: TaskActionTests.dev.serialized()))
        let response = try await f.client.execute(request, timeout: .seconds(10))
        #expect(response.status.code == 201)
        for _ in 0..<200 where f.executor.headers.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(10)) }
        let headers = f.executor.headers.withLock { $0.first ?? [:] }
        #expect(headers["x-odm-pat"] == "s3cr3t-pat")
        #expect(headers["x-odm-token"] == nil, "another executor's secret is not sent")
        let database = try Data(contentsOf: URL(fileURLWithPath: f.directory.url("tollgate.db")))
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: f.directory.url("tollgate.db-wal")))) ?? Data()
        #expect(database.range(of: Data("s3cr3t-pat".utf8)) == nil)
        #expect(wal.range(of: Data("s3cr3t-pat".utf8)) == nil, "the secret is in no page of the database")
    }
}
