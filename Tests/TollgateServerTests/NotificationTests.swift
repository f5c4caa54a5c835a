import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Synchronization
import Testing
import TollgateJSON
import TollgateServer
import TollgateTestSupport

/// An ODM observer and a webhook receiver on loopback.
final class FakeReceiver: Sendable {
    let port = FreePort.next()
    let observed = Mutex<[JSONValue]>([])
    let hooked = Mutex<[(body: String, signature: String?, id: String?)]>([])
    private let task = Mutex<Task<Void, any Error>?>(nil)

    func start(client: HTTPClient) async throws {
        let router = Router()
        router.post("api/v1/up/observer/notifications") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            self.observed.withLock { $0.append((try? JSONValue.parse(Array(body.readableBytesView))) ?? .null) }
            return .ok
        }
        router.post("hook") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            let signature = request.headers[HTTPField.Name("X-Tollgate-Signature")!]
            let id = request.headers[HTTPField.Name("X-Tollgate-Event-Id")!]
            self.hooked.withLock { $0.append((String(buffer: body), signature, id)) }
            return .ok
        }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: quietLogger)
        task.withLock { $0 = Task { try await app.runService(gracefulShutdownSignals: []) } }
        try await waitUntilListening(port: port, client: client)
    }

    func stop() { task.withLock { $0?.cancel() } }
}

@Suite("Notifications", .serialized)
struct NotificationTests {
    @Test func eventsReachAnObserverThatWasDownAndAWebhookSigned() async throws {
        let receiver = FakeReceiver()
        let f = try ServiceFixture(respond: DevOpsAPITests.walkthrough, recoveryInterval: .milliseconds(50))
        try await f.start(notifications: [
            .odmObserver(address: "http://127.0.0.1:\(receiver.port)"),
            .webhook(url: "http://127.0.0.1:\(receiver.port)/hook", secret: "hook-secret"),
        ])
        defer {
            receiver.stop()
            Task { try? await f.stop() }
        }
        // The receiver is down while the whole dev stage runs.
        _ = try await f.call(
            .POST, "/api/v1/pp/devops/activities?startAfterCreation=true",
            body: ["dataProductId": .string(DevOpsAPITests.product), "dataProductVersion": "1.0.0", "stage": "dev"])
        try await f.waitFor(activity: 1, status: "PROCESSED")
        #expect(receiver.observed.withLock { $0.isEmpty })
        try await receiver.start(client: f.client)
        let expectedTypes: Set<String> = [
            "DATA_PRODUCT_ACTIVITY_CREATED", "DATA_PRODUCT_TASK_CREATED", "DATA_PRODUCT_STAGE_TRANSITION",
            "DATA_PRODUCT_ACTIVITY_STARTED", "DATA_PRODUCT_TASK_STARTED", "DATA_PRODUCT_TASK_RESULTS",
            "DATA_PRODUCT_TASK_COMPLETED", "DATA_PRODUCT_ACTIVITY_RESULTS", "DATA_PRODUCT_ACTIVITY_COMPLETED",
        ]
        var events: [JSONValue] = []
        // 2 tasks: 1 activity created/started/completed, 2 tasks created/started/completed, 4 decisions.
        let expectedCount = 3 + 6 + 4
        for _ in 0..<500 {
            events = receiver.observed.withLock { $0 }.compactMap { $0["event"] }
            if events.count >= expectedCount && receiver.hooked.withLock({ $0.count }) >= expectedCount { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let types = events.compactMap { $0["type"]?.stringValue }
        #expect(events.count == expectedCount, "\(types)")
        for expected in expectedTypes.sorted() {
            #expect(types.contains(expected), "missing \(expected) in \(types)")
        }
        let ids = events.compactMap { $0["id"]?.stringValue }
        #expect(Set(ids).count == ids.count, "each event delivered once to the observer")
        let completed = try #require(events.first { $0["type"] == "DATA_PRODUCT_ACTIVITY_COMPLETED" })
        #expect(completed["afterState"]?["activity"]?["status"] == "PROCESSED")
        #expect(completed["entityId"] == "1")

        let hooks = receiver.hooked.withLock { $0 }
        #expect(hooks.count == events.count)
        for hook in hooks {
            #expect(hook.signature == WebhookNotifier.signature(hook.body, secret: Array("hook-secret".utf8)))
        }
        #expect(Set(hooks.compactMap(\.id)) == Set(ids), "the same event ids on every notifier")
    }
}
