import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgatePostgres
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// Three `tollgate serve` replicas on one PostgreSQL database, clients spreading requests over
/// them and the executor calling back to any of them, while replicas are killed and restarted,
/// one is paused past its leases, and the database restarts: every activity ends, no task is sent
/// twice, no result or notification is lost, and the one decision chain verifies.
@Suite("three replicas on one PostgreSQL", .serialized)
struct ReplicaTests {
    static let replicas = 3
    static let kills = 21
    static let versions = 8
    static let leaseSeconds = 3.0

    @Test func replicasSurviveKillsAPauseAndADatabaseRestart() async throws {
        let database = try PostgresPrivateCluster()
        let schema = PostgresTestCluster.freshSchema("replicas")
        let directory = try TemporaryDirectory()
        let client = TollgateService.makeHTTPClient()
        defer { Task { try? await client.shutdown() } }
        let executor = try await ServeCrashTests.startExecutor(client: client)
        defer { executor.stop() }
        let receiver = FakeReceiver()
        try await receiver.start(client: client)
        defer { receiver.stop() }
        try ServeCrashTests.writeDescriptors(versions: Self.versions, into: directory)

        let ports = (0..<Self.replicas).map { _ in FreePort.next() }
        let addresses = ports.map { "http://127.0.0.1:\($0)" }
        executor.callbackAddresses.withLock { $0 = addresses }
        let configs = try ports.enumerated().map { index, port in
            try directory.write(
                "replica-\(index).yaml",
                """
                server: { host: 127.0.0.1, port: \(port), replicaName: replica-\(index), leaseSeconds: \(Self.leaseSeconds) }
                database: { kind: postgres, url: { env: TOLLGATE_DATABASE_URL }, pool: 4, schema: \(schema) }
                policies: { directory: \(RepositoryPaths.policies) }
                registry: { kind: directory, path: \(directory.url("descriptors")) }
                executors:
                  azure-devops: { kind: odm, address: "\(executor.address)" }
                notifications:
                  - { kind: webhook, url: "\(receiver.address)/hook" }
                """)
        }
        let environment = ["TOLLGATE_DATABASE_URL": database.url]
        let logs = (0..<Self.replicas).map { directory.url("replica-\($0).log") }
        let servers = Mutex(try (0..<Self.replicas).map { try ServeCrashTests.serve(configs[$0], environment: environment, log: logs[$0]) })
        defer { servers.withLock { for process in $0 where process.isRunning { kill(process.processIdentifier, SIGKILL) } } }
        for port in ports { try await waitUntilListening(port: port, client: client) }

        let stop = StopFlag()
        let clients = (0..<Self.versions).map { version in
            Task { try await ServeCrashTests.promote(version: "1.0.\(version)", apis: addresses.map { "\($0)/api/v1/pp/devops" }, client: client, until: stop) }
        }
        var generator = SplitMix64(state: 20_261_207)
        var paused: Int?, restartedDatabase = false
        for kill in 1...Self.kills {
            try await Task.sleep(for: .milliseconds(150 + Int(generator.next() % 350)))
            let index = Int(generator.next() % UInt64(Self.replicas))
            let process = servers.withLock { $0[index] }
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let restarted = try ServeCrashTests.serve(configs[index], environment: environment, log: logs[index])
            servers.withLock { $0[index] = restarted }
            try await waitUntilListening(port: ports[index], client: client)
            if kill == 7 {
                // One replica stops past its leases (a long pause, a partition), then wakes up.
                let sleeper = servers.withLock { $0[(index + 1) % Self.replicas] }
                Foundation.kill(sleeper.processIdentifier, SIGSTOP)
                try await Task.sleep(for: .seconds(Self.leaseSeconds * 2 + 1))
                Foundation.kill(sleeper.processIdentifier, SIGCONT)
                paused = ports[(index + 1) % Self.replicas]
            }
            if kill == 14 {
                try database.stop()
                try await Task.sleep(for: .seconds(2))
                try database.resume()
                restartedDatabase = true
            }
        }
        stop.raise()
        var promotions = 0
        for task in clients { promotions += try await task.value }

        let deadline = ContinuousClock.now + .seconds(180)
        var open = 1
        while open > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
            let api = "\(addresses.randomElement() ?? "")/api/v1/pp/devops"
            let planned = (try? await ServeCrashTests.get("\(api)/activities?status=PLANNED", client: client).arrayValue?.count) ?? 1
            let running = (try? await ServeCrashTests.get("\(api)/activities?status=PROCESSING", client: client).arrayValue?.count) ?? 1
            open = planned + running
        }
        let api = "\(addresses[1])/api/v1/pp/devops"
        #expect(open == 0, "every activity ends")
        if open > 0 {
            // What the activities left open are waiting for: their tasks' histories, and the
            // replicas' logs.
            for status in ["PLANNED", "PROCESSING"] {
                for activity in try await ServeCrashTests.get("\(api)/activities?status=\(status)", client: client).arrayValue ?? [] {
                    let id = activity["id"]?.intValue ?? 0
                    let tasks = try await ServeCrashTests.get("\(api)/tasks?activityId=\(id)", client: client)
                    print("open activity \(id) (\(status)): \(activity.serialized())\n  tasks: \(tasks.serialized())")
                    for task in tasks.arrayValue ?? [] {
                        let history = try await ServeCrashTests.get(
                            "\(addresses[1])/api/v1/tollgate/tasks/\(task["id"]?.intValue ?? 0)/history", client: client)
                        print("  history of task \(task["id"]?.intValue ?? 0): \(history.serialized())")
                    }
                }
            }
            for log in logs {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                print("last lines of \(log):\n" + text.split(separator: "\n").suffix(30).joined(separator: "\n"))
            }
        }
        let tasks = try await ServeCrashTests.get("\(api)/tasks", client: client).arrayValue ?? []
        let count = ServeCrashTests.count(tasks: tasks, executor: executor)
        // A replica paused after it checked its lease and before its request left can still send a
        // dispatch the replica that took over sends too (README: only the executor could refuse it).
        // Those are counted apart; any other second dispatch is a defect.
        var senders: [Int64: [String]] = [:]
        for task in executor.tasks {
            let callback = task["callbackRef"]?.stringValue ?? ""
            senders[task["id"]?.intValue ?? 0, default: []].append(String(callback.split(separator: "/").dropFirst().first ?? ""))
        }
        let repeated = senders.filter { $0.value.count > 1 }
        let byPaused = repeated.filter { entry in paused.map { port in entry.value.contains("127.0.0.1:\(port)") } ?? false }
        let unexplained = repeated.count - byPaused.count

        // Every notification recorded is delivered; a resend keeps its event id.
        try await Task.sleep(for: .seconds(2))
        let delivered = receiver.hooked.withLock { $0.compactMap(\.id) }
        let slowShutdowns = try await Self.stop(servers.withLock { $0 })
        let location = try PostgresLocation(url: database.url, schema: schema, pool: 2)
        let (events, pending, report) = try await PostgresDatabase.withDatabase(location) { db in
            let store = PostgresLifecycleStore(db)
            let notifications = try await store.intents(kind: .notify)
            let events = notifications.compactMap { $0.payload["event"]?["id"]?.stringValue }
            let pending = notifications.filter { $0.doneAt == nil || $0.lastError != nil }.count
            return (events, pending, try await store.verifyLog(since: nil, maximumProblems: 10))
        }
        let missing = Set(events).subtracting(delivered)
        let repeats = delivered.count - Set(delivered).count
        print(
            "replicas: \(Self.replicas) replicas, \(Self.kills) kills with SIGKILL, paused one past its lease: \(paused != nil), database restarted: "
                + "\(restartedDatabase); \(promotions) promotions, \(tasks.count) tasks, \(executor.tasks.count) dispatches received, "
                + "duplicates \(count.duplicates) (\(byPaused.count) sent again by the paused replica), lost results \(count.lost), failed tasks \(count.failed); \(events.count) notifications, "
                + "\(missing.count) missing, \(pending) pending, \(repeats) repeats dropped by event id; \(report.decisions) decisions, chain "
                + (report.isIntact ? "verified" : "BROKEN") + "; replicas not stopped by SIGTERM within 10 s: \(slowShutdowns)")
        #expect(unexplained == 0, "no task sent twice but by the paused replica: \(repeated)")
        #expect(count.lost == 0, "no result lost")
        #expect(count.failed == 0)
        #expect(missing.isEmpty && pending == 0, "no notification lost")
        #expect(report.isIntact, "\(report.completeness) \(String(describing: report.chain))")
        #expect(promotions >= Self.versions, "the load went on through the kills")
        withKnownIssue("a replica that lived through the database restart may not finish its graceful shutdown", isIntermittent: true) {
            #expect(slowShutdowns == 0)
        }
    }

    /// Stops every replica with SIGTERM; one still running after 10 s is killed. Answers how many were.
    static func stop(_ processes: [Process]) async throws -> Int {
        for process in processes { kill(process.processIdentifier, SIGTERM) }
        var slow = 0
        for process in processes {
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning {
                slow += 1
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        return slow
    }
}
