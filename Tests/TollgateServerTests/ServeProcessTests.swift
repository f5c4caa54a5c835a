import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import Synchronization
import TollgateJSON
import TollgateServer
import TollgateStore
import TollgateTestServers
import TollgateTestSupport

/// `tollgate serve` as its own process: starts from a configuration file, answers, and stops
/// cleanly on SIGTERM, leaving a database that verifies and serves again.
@Suite("tollgate serve process", .serialized)
struct ServeProcessTests {
    func start(_ config: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TollgateCommand.executable)
        process.arguments = ["serve", "--config", config]
        process.currentDirectoryURL = URL(fileURLWithPath: RepositoryPaths.root)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// A configuration on `port` in `directory` whose only executor is unreachable.
    func configuration(_ directory: TemporaryDirectory, port: Int, registry: String) throws -> String {
        try directory.write(
            "tollgate.yaml",
            """
            server: { host: 127.0.0.1, port: \(port) }
            database: { path: \(directory.url("tollgate.db")) }
            policies: { directory: \(RepositoryPaths.policies) }
            registry: \(registry)
            executors:
              azure-devops: { kind: odm, address: "http://127.0.0.1:\(FreePort.next())" }
            """)
    }

    @Test func stopsCleanlyOnSIGTERMAndStartsAgain() async throws {
        let directory = try TemporaryDirectory()
        let descriptor = FileManager.default.contents(atPath: RepositoryPaths.path("examples/walkthrough/descriptor.json"))!
        try directory.write("descriptors/hello.json", String(decoding: descriptor, as: UTF8.self))
        let port = FreePort.next()
        let config = try configuration(directory, port: port, registry: "{ kind: directory, path: \(directory.url("descriptors")) }")
        let client = TollgateService.makeHTTPClient()
        defer { Task { try? await client.shutdown() } }
        var server = try start(config)
        try await waitUntilListening(port: port, client: client)
        var create = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/pp/devops/activities?startAfterCreation=true")
        create.method = .POST
        create.headers.add(name: "Content-Type", value: "application/json")
        create.body = .bytes(ByteBuffer(string: #"{"dataProductId":"urn:org.opendatamesh:dataproducts:hello","dataProductVersion":"1.0.0","stage":"dev"}"#))
        let created = try await client.execute(create, timeout: .seconds(10))
        #expect(created.status.code == 201)

        kill(server.processIdentifier, SIGTERM)
        let stopped = ContinuousClock.now
        while server.isRunning && ContinuousClock.now - stopped < .seconds(10) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!server.isRunning, "stopped within 10 s of SIGTERM")
        #expect(server.terminationStatus == 0)

        // The executor was never reachable: the dispatch waits in the outbox, and the log verifies.
        let store = try SQLiteLifecycleStore(path: directory.url("tollgate.db"))
        #expect(try store.verifyDecisionChain() == nil)
        #expect(try await store.pendingOutbox().count == 1)

        server = try start(config)
        defer { server.terminate() }
        try await waitUntilListening(port: port, client: client)
        let answer = try await client.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/pp/devops/activities/1/status"), timeout: .seconds(10))
        let body = try await answer.body.collect(upTo: 1 << 16)
        #expect(try JSONValue.parse(Array(body.readableBytesView))["status"] == "PROCESSING")
    }

    @Test func aRequestInFlightAtSIGTERMIsAnsweredBeforeTheProcessEnds() async throws {
        let directory = try TemporaryDirectory()
        let client = TollgateService.makeHTTPClient()
        defer { Task { try? await client.shutdown() } }
        let registry = FakeODMRegistry.walkthrough()
        registry.delay.withLock { $0 = .milliseconds(1500) }
        try await registry.start(client: client)
        defer { registry.stop() }
        let port = FreePort.next()
        let config = try configuration(directory, port: port, registry: "{ kind: odm, address: \"\(registry.address)\" }")
        let server = try start(config)
        defer { if server.isRunning { server.terminate() } }
        try await waitUntilListening(port: port, client: client)
        var create = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/pp/devops/activities")
        create.method = .POST
        create.headers.add(name: "Content-Type", value: "application/json")
        create.body = .bytes(ByteBuffer(string: #"{"dataProductId":"urn:org.opendatamesh:dataproducts:hello","dataProductVersion":"1.0.0","stage":"dev"}"#))
        let inFlight = Task { try await client.execute(create, timeout: .seconds(10)) }
        while registry.requests.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(10)) }
        kill(server.processIdentifier, SIGTERM)
        let answer = try await inFlight.value
        #expect(answer.status.code == 201, "the request that was being served when the stop began is answered")
        let stopped = ContinuousClock.now
        while server.isRunning && ContinuousClock.now - stopped < .seconds(10) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!server.isRunning)
        #expect(server.terminationStatus == 0)
        let store = try SQLiteLifecycleStore(path: directory.url("tollgate.db"))
        #expect(try store.verifyDecisionChain() == nil)
        #expect(try await store.activity(id: 1) != nil, "the activity it answered for is stored")
    }
}
