import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOHTTP1
import NIOCore
import Synchronization
import TollgateJSON
import TollgateTestSupport

/// A small ODM executor adapter on loopback: it accepts tasks as ODM's executor protocol sends
/// them and, like a pipeline, later calls the task's callbackRef with a result.
final class FakeODMExecutor: Sendable {
    let port: Int
    let received = Mutex<[JSONValue]>([])
    /// Headers of each received task (lower-cased names).
    let headers = Mutex<[[String: String]]>([])
    /// What `GET …/tasks/{id}/status` answers, by task id (unknown ids: 404).
    let statuses = Mutex<[Int64: String]>([:])
    /// The callback body for a received task (nil: do not call back).
    let respond: @Sendable (JSONValue) -> JSONValue?
    let client: HTTPClient
    private let task: Mutex<Task<Void, any Error>?> = Mutex(nil)

    init(client: HTTPClient, respond: @escaping @Sendable (JSONValue) -> JSONValue?) {
        self.port = FreePort.next()
        self.client = client
        self.respond = respond
    }

    var address: String { "http://127.0.0.1:\(port)" }

    func start() async throws {
        let router = Router()
        router.post("api/v1/up/executor/tasks") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let task = try JSONValue.parse(Array(body.readableBytesView))
            self.received.withLock { $0.append(task) }
            var fields: [String: String] = [:]
            for field in request.headers { fields[field.name.canonicalName] = field.value }
            self.headers.withLock { $0.append(fields) }
            if let callback = task["callbackRef"]?.stringValue, let result = self.respond(task) {
                Task {
                    try await Task.sleep(for: .milliseconds(5))
                    var call = HTTPClientRequest(url: callback)
                    call.method = .PATCH
                    call.headers.add(name: "Content-Type", value: "application/json")
                    call.body = .bytes(ByteBuffer(string: result.serialized()))
                    _ = try await self.client.execute(call, timeout: .seconds(10))
                }
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: task.serialized())))
        }
        router.get("api/v1/up/executor/tasks/:id/status") { _, context -> Response in
            let id = context.parameters.get("id", as: Int64.self) ?? 0
            guard let status = self.statuses.withLock({ $0[id] }) else { return Response(status: .notFound) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "\"\(status)\"")))
        }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: quietLogger)
        task.withLock { $0 = Task { try await app.runService(gracefulShutdownSignals: []) } }
        try await waitUntilListening(port: port, client: client)
    }

    func stop() { task.withLock { $0?.cancel() } }

    var tasks: [JSONValue] { received.withLock { $0 } }
}

/// Waits until something answers HTTP on the port.
func waitUntilListening(port: Int, client: HTTPClient) async throws {
    for _ in 0..<200 {
        if (try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(1))) != nil {
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}
