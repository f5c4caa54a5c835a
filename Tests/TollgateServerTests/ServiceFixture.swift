import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOHTTP1
import NIOCore
import Synchronization
import TollgateJSON
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// Tollgate serving on loopback over a temporary database, the shipped policies and the
/// walk-through descriptor, with a fake ODM executor as `azure-devops`.
final class ServiceFixture: Sendable {
    let directory: TemporaryDirectory
    let client: HTTPClient
    let executor: FakeODMExecutor
    let port: Int
    private let serving = BackgroundServing()

    let recoveryInterval: Duration
    /// The database the service was started on (another fixture may start on it too).
    let database = Mutex<ServiceConfiguration.Database?>(nil)

    init(respond: @escaping @Sendable (JSONValue) -> JSONValue?, recoveryInterval: Duration = .seconds(2)) throws {
        self.recoveryInterval = recoveryInterval
        directory = try TemporaryDirectory()
        client = TollgateService.makeHTTPClient()
        executor = FakeODMExecutor(client: client, respond: respond)
        port = FreePort.next()
        let descriptor = FileManager.default.contents(atPath: RepositoryPaths.path("examples/walkthrough/descriptor.json"))!
        try directory.write("descriptors/hello.json", String(decoding: descriptor, as: UTF8.self))
    }

    func start(
        executorUp: Bool = true, tokens: [ServiceConfiguration.Token] = [], checkAfterCallback: Bool = false,
        notifications: [ServiceConfiguration.Notification] = [], registry: ServiceConfiguration.Registry? = nil,
        oidc: OIDCSettings? = nil, executors: [String: ServiceConfiguration.Executor]? = nil, policies: String? = nil,
        dispatchRetrySeconds: [String: Double] = [:], database: ServiceConfiguration.Database? = nil, callbackOverdueSeconds: Double = 60,
        connections: ConnectionLimits = ConnectionLimits()
    ) async throws {
        if executorUp { try await executor.start() }
        var configuration = ServiceConfiguration()
        configuration.port = port
        configuration.database = try database ?? ServiceStore.database(in: directory)
        self.database.withLock { $0 = configuration.database }
        configuration.policies = policies ?? RepositoryPaths.policies
        configuration.registry = registry ?? .directory(path: directory.url("descriptors"))
        configuration.executors = executors ?? ["azure-devops": .odm(address: executor.address, checkAfterCallback: checkAfterCallback)]
        configuration.dispatchRetrySeconds = dispatchRetrySeconds
        configuration.callbackOverdueSeconds = callbackOverdueSeconds
        configuration.connections = connections
        configuration.tokens = tokens
        configuration.oidc = oidc
        configuration.notifications = notifications
        try await TollgateService.prepareDatabase(configuration, logger: quietLogger)
        var service = try TollgateService(
            configuration: configuration, httpClient: client, notificationBackoffSeconds: 0.05, notificationMaxBackoffSeconds: 0.2, logger: quietLogger)
        service.recoveryInterval = recoveryInterval
        service.policySetPollInterval = .milliseconds(200)
        let app = service.application()
        serving.start(app)
        try await waitUntilListening(port: port, client: client)
    }

    /// Serves `path` (relative to the repository) as the walk-through product's descriptor.
    func useDescriptor(_ path: String) throws {
        let descriptor = FileManager.default.contents(atPath: RepositoryPaths.path(path))!
        try directory.write("descriptors/hello.json", String(decoding: descriptor, as: UTF8.self))
    }

    /// Serves `json` as the only descriptor.
    func useDescriptor(json: JSONValue) throws {
        try directory.write("descriptors/hello.json", json.serialized())
    }

    func stop() async throws {
        serving.stop()
        executor.stop()
        try await client.shutdown()
    }

    /// Sends a request to Tollgate; returns the status and the JSON body.
    func call(
        _ method: HTTPMethod, _ path: String, body: JSONValue? = nil, raw: String? = nil, bearer: String? = nil
    ) async throws -> (Int, JSONValue) {
        var request = HTTPClientRequest(url: path.hasPrefix("http") ? path : "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let text = raw ?? body?.serialized() {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: text))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let json = bytes.readableBytes == 0 ? JSONValue.null : (try? JSONValue.parse(Array(bytes.readableBytesView))) ?? .string(String(buffer: bytes))
        return (Int(response.status.code), json)
    }

    /// Sends a request exactly as given (its own headers, any body); returns the status, the
    /// headers and the JSON body (null when empty or not JSON).
    func send(
        _ method: HTTPMethod, _ path: String, body: String? = nil, headers: [(String, String)] = []
    ) async throws -> (status: Int, headers: HTTPHeaders, body: JSONValue) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let json = bytes.readableBytes == 0 ? JSONValue.null : (try? JSONValue.parse(Array(bytes.readableBytesView))) ?? .string(String(buffer: bytes))
        return (Int(response.status.code), response.headers, json)
    }

    /// Waits until activity `id` has `status`.
    func waitFor(activity id: Int, status: String, bearer: String? = nil) async throws {
        for _ in 0..<500 {
            if try await call(.GET, "/api/v1/pp/devops/activities/\(id)/status", bearer: bearer).1["status"] == .string(status) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ODMTestError("activity \(id) never became \(status)")
    }
}

struct ODMTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
