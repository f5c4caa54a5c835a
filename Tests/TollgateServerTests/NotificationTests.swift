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
import TollgateTestServers
import TollgateTestSupport

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

    @Test func pendingNotificationsKeepTheirReceiverWhenTheListIsReordered() async throws {
        let observer = FakeReceiver(), hook = FakeReceiver()
        let notifications: [ServiceConfiguration.Notification] = [
            .odmObserver(address: "http://127.0.0.1:\(observer.port)"),
            .webhook(url: "http://127.0.0.1:\(hook.port)/hook?token=t0ps3cret", secret: "hook-secret"),
        ]
        // Both receivers are down while the stage runs: every notification stays pending.
        let first = try ServiceFixture(respond: DevOpsAPITests.walkthrough)
        try await first.start(notifications: notifications)
        _ = try await first.call(
            .POST, "/api/v1/pp/devops/activities?startAfterCreation=true",
            body: ["dataProductId": .string(DevOpsAPITests.product), "dataProductVersion": "1.0.0", "stage": "dev"])
        try await first.waitFor(activity: 1, status: "PROCESSED")
        try await first.stop()

        // Restarted on the same database with the list the other way round.
        let second = try ServiceFixture(respond: { _ in nil }, recoveryInterval: .milliseconds(50))
        try await observer.start(client: second.client)
        try await hook.start(client: second.client)
        defer {
            observer.stop()
            hook.stop()
            Task { try? await second.stop() }
        }
        try await second.start(executorUp: false, notifications: notifications.reversed(), database: first.database.withLock { $0 })
        try await waitUntil("every pending notification delivered") {
            observer.observed.withLock { $0.count } == 13 && hook.hooked.withLock { $0.count } == 13
        }
        #expect(observer.hooked.withLock { $0.isEmpty }, "the observer got no webhook calls")
        #expect(hook.observed.withLock { $0.isEmpty }, "the webhook got no observer calls")
    }
}
