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

/// `tollgate serve` killed with SIGKILL over and over while clients promote versions through it
/// and an ODM executor runs their tasks: no task is sent twice, no result is lost, and every
/// activity ends.
@Suite("tollgate serve killed under load", .serialized)
struct ServeCrashTests {
    static let kills = 50
    static let versions = 8

    @Test func killedFiftyTimesNoTaskIsSentTwiceAndNoResultIsLost() async throws {
        let directory = try TemporaryDirectory()
        let client = TollgateService.makeHTTPClient()
        defer { Task { try? await client.shutdown() } }
        let executor = try await Self.startExecutor(client: client)
        defer { executor.stop() }

        try Self.writeDescriptors(versions: Self.versions, into: directory)
        let port = FreePort.next()
        let config = try directory.write(
            "tollgate.yaml",
            """
            server: { host: 127.0.0.1, port: \(port) }
            database: { path: \(directory.url("tollgate.db")) }
            policies: { directory: \(RepositoryPaths.policies) }
            registry: { kind: directory, path: \(directory.url("descriptors")) }
            executors:
              azure-devops: { kind: odm, address: "\(executor.address)" }
            """)
        let server = Mutex(try Self.serve(config))
        defer { server.withLock { if $0.isRunning { kill($0.processIdentifier, SIGKILL) } } }
        try await waitUntilListening(port: port, client: client)

        let api = "http://127.0.0.1:\(port)/api/v1/pp/devops"
        let stop = StopFlag()
        let clients = (0..<Self.versions).map { version in
            Task { try await Self.promote(version: "1.0.\(version)", api: api, client: client, until: stop) }
        }
        var generator = SplitMix64(state: 20_261_207)
        for _ in 0..<Self.kills {
            try await Task.sleep(for: .milliseconds(100 + Int(generator.next() % 400)))
            let process = server.withLock { $0 }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            server.withLock { $0 = try! Self.serve(config) }
            try await waitUntilListening(port: port, client: client)
        }
        stop.raise()
        var promotions = 0
        for task in clients { promotions += try await task.value }

        // Every activity ends; then the executor's record is compared with Tollgate's.
        let deadline = ContinuousClock.now + .seconds(120)
        var open = 1
        while open > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            let planned = try await Self.get("\(api)/activities?status=PLANNED", client: client).arrayValue?.count ?? 1
            let running = try await Self.get("\(api)/activities?status=PROCESSING", client: client).arrayValue?.count ?? 1
            open = planned + running
        }
        #expect(open == 0, "every activity ends")
        let tasks = try await Self.get("\(api)/tasks", client: client).arrayValue ?? []
        let (duplicates, lost, failed) = Self.count(tasks: tasks, executor: executor)
        print(
            "serve crash: \(Self.kills) kills with SIGKILL, \(promotions) promotions, \(tasks.count) tasks, "
                + "\(executor.tasks.count) dispatches received, duplicates \(duplicates), lost results \(lost), failed tasks \(failed)")
        #expect(duplicates == 0, "no task sent twice")
        #expect(lost == 0, "no result lost")
        #expect(failed == 0)
        #expect(promotions >= Self.versions, "the load went on through the kills")

        _ = server.withLock { kill($0.processIdentifier, SIGTERM) }
        server.withLock { $0.waitUntilExit() }
        let store = try SQLiteLifecycleStore(path: directory.url("tollgate.db"))
        let report = try store.verifyLog()
        #expect(report.isIntact, "\(report.completeness) \(String(describing: report.chain))")
    }

    /// An ODM executor that answers the walk-through's tasks by callback a little later and, like a
    /// pipeline's `curl --retry`, retries its callbacks while Tollgate cannot be reached.
    static func startExecutor(client: HTTPClient) async throws -> FakeODMExecutor {
        let executor = FakeODMExecutor(client: client, respond: DevOpsAPITests.walkthrough)
        executor.retryCallbacks.withLock { $0 = true }
        executor.callbackDelay.withLock { $0 = .milliseconds(30) }
        try await executor.start()
        return executor
    }

    /// One walk-through descriptor per version, so several activities run at once.
    static func writeDescriptors(versions: Int, into directory: TemporaryDirectory) throws {
        let walkthrough = try JSONValue.parse(
            Array(FileManager.default.contents(atPath: RepositoryPaths.path("examples/walkthrough/descriptor.json"))!))
        for version in 0..<versions {
            guard case .object(var document) = walkthrough, case .object(var info)? = document["info"] else { return }
            info["version"] = .string("1.0.\(version)")
            document["info"] = .object(info)
            try directory.write("descriptors/hello-\(version).json", JSONValue.object(document).serialized())
        }
    }

    /// Compares the executor's record with Tollgate's tasks: tasks it received more than once,
    /// processed tasks whose results are not the executor's, failed tasks.
    static func count(tasks: [JSONValue], executor: FakeODMExecutor) -> (duplicates: Int, lost: Int, failed: Int) {
        var sent: [Int64: Int] = [:]
        for task in executor.tasks { sent[task["id"]?.intValue ?? 0, default: 0] += 1 }
        let duplicates = sent.values.reduce(0) { $0 + ($1 - 1) }
        var lost = 0
        for task in tasks where task["status"] == "PROCESSED" {
            let template = task["template"]?.stringValue.map { JSONValue.string($0) } ?? .null
            let expected = DevOpsAPITests.walkthrough(["template": template])?["results"]
            if task["results"]?.stringValue.flatMap({ try? JSONValue.parse($0) }) != expected { lost += 1 }
        }
        return (duplicates, lost, tasks.filter { $0["status"] == "FAILED" }.count)
    }

    /// Starts `tollgate serve` on `config`; its output is appended to `log` when given.
    static func serve(_ config: String, environment extra: [String: String] = [:], log: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TollgateCommand.executable)
        process.arguments = ["serve", "--config", config]
        process.currentDirectoryURL = URL(fileURLWithPath: RepositoryPaths.root)
        var environment = ProcessInfo.processInfo.environment
        environment["TOLLGATE_CALLBACK_SECRET"] = "crash-test-callback-secret-of-32-bytes"
        environment.merge(extra) { $1 }
        process.environment = environment
        if let log {
            if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            handle.seekToEndOfFile()
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        return process
    }

    /// Promotes `version` to dev again and again until `stop`, whatever the server's state: an
    /// activity left PLANNED by a lost answer is started, a running one waited for. After `stop` it
    /// asks for no new promotion but still starts the one it left PLANNED (for at most a minute), as
    /// a client whose start failed tries again. Returns how many promotions it asked for.
    static func promote(version: String, api: String, client: HTTPClient, until stop: StopFlag) async throws -> Int {
        try await promote(version: version, apis: [api], client: client, until: stop)
    }

    /// Promotes as above, each request to one of `apis` picked at random (replicas behind no balancer).
    static func promote(version: String, apis: [String], client: HTTPClient, until stop: StopFlag) async throws -> Int {
        var promotions = 0
        let product = DevOpsAPITests.product
        var drainUntil: ContinuousClock.Instant?
        while drainUntil.map({ ContinuousClock.now < $0 }) ?? true {
            if stop.isRaised, drainUntil == nil { drainUntil = .now + .seconds(60) }
            let api = apis.randomElement() ?? ""
            do {
                let activities = try await get(
                    "\(api)/activities?dataProductId=\(product)&dataProductVersion=\(version)", client: client).arrayValue ?? []
                if activities.contains(where: { $0["status"] == "PROCESSING" }) {
                    try await Task.sleep(for: .milliseconds(50))
                } else if let planned = activities.first(where: { $0["status"] == "PLANNED" })?["id"]?.intValue {
                    _ = try await send(.PATCH, "\(api)/activities/\(planned)/status?action=START", body: nil, client: client)
                } else if drainUntil != nil {
                    break
                } else {
                    let body: JSONValue = ["dataProductId": .string(product), "dataProductVersion": .string(version), "stage": "dev"]
                    _ = try await send(.POST, "\(api)/activities?startAfterCreation=true", body: body, client: client)
                    promotions += 1
                }
            } catch {
                try await Task.sleep(for: .milliseconds(100))  // the server is being restarted
            }
        }
        return promotions
    }

    static func get(_ url: String, client: HTTPClient) async throws -> JSONValue {
        try await send(.GET, url, body: nil, client: client)
    }

    static func send(_ method: HTTPMethod, _ url: String, body: JSONValue?, client: HTTPClient) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.serialized()))
        }
        let response = try await client.execute(request, timeout: .seconds(5))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (try? JSONValue.parse(Array(bytes.readableBytesView))) ?? .null
    }
}

/// Tells the load clients to stop.
final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)
    func raise() { raised.store(true, ordering: .relaxed) }
    var isRaised: Bool { raised.load(ordering: .relaxed) }
}
