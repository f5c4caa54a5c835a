public import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
public import Synchronization
public import TollgateJSON

/// A small ODM executor adapter on loopback: it accepts tasks as ODM's executor protocol sends
/// them and, like a pipeline, later calls the task's callbackRef with a result.
public final class FakeODMExecutor: Sendable {
    public let received = Mutex<[JSONValue]>([])
    /// Headers of each received task (lower-cased names).
    public let headers = Mutex<[[String: String]]>([])
    /// What `GET …/tasks/{id}/status` answers, by task id: `PROCESSING` once a task is received,
    /// unless set otherwise; ids it never received answer 404, as an adapter that has no such task.
    public let statuses = Mutex<[Int64: String]>([:])
    /// How long after accepting a task its callback is made.
    public let callbackDelay = Mutex<Duration>(.milliseconds(5))
    /// The status a task has as soon as it is received (an adapter whose run ends before its callback).
    public let statusOnReceipt = Mutex("PROCESSING")
    /// Whether callbacks are tried again while Tollgate cannot be reached.
    public let retryCallbacks = Mutex(false)
    /// When set, each callback goes to one of these addresses (`http://host:port`), picked at
    /// random per attempt, instead of the callbackRef's own: replicas behind no balancer.
    public let callbackAddresses = Mutex<[String]>([])
    /// How many of the next tasks are accepted (and run) but answered 502, as when a proxy loses the answer.
    public let loseAnswers = Mutex(0)
    /// The callback body for a received task (nil: do not call back).
    let respond: @Sendable (JSONValue) -> JSONValue?
    let client: HTTPClient
    let server: LoopbackServer

    public init(client: HTTPClient, respond: @escaping @Sendable (JSONValue) -> JSONValue?) {
        self.client = client
        self.respond = respond
        server = LoopbackServer()
    }

    public var port: Int { server.port }
    public var address: String { server.address }
    public func start() async throws { try await server.start(router(), client: client) }
    public func stop() { server.stop() }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("api/v1/up/executor/tasks") { [self] request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let task = try JSONValue.parse(Array(body.readableBytesView))
            received.withLock { $0.append(task) }
            let initial = statusOnReceipt.withLock { $0 }
            if let id = task["id"]?.intValue { statuses.withLock { if $0[id] == nil { $0[id] = initial } } }
            var fields: [String: String] = [:]
            for field in request.headers { fields[field.name.canonicalName] = field.value }
            headers.withLock { $0.append(fields) }
            if let callback = task["callbackRef"]?.stringValue, let result = self.respond(task) {
                let delay = callbackDelay.withLock { $0 }
                let retrying = retryCallbacks.withLock { $0 }
                Task {
                    try await Task.sleep(for: delay)
                    // Like a pipeline's `curl --retry`: tried again while Tollgate cannot be reached
                    // or answers 5xx, at most for a minute.
                    for _ in 0..<(retrying ? 300 : 1) {
                        var call = HTTPClientRequest(url: self.redirected(callback))
                        call.method = .PATCH
                        call.headers.add(name: "Content-Type", value: "application/json")
                        call.body = .bytes(ByteBuffer(string: result.serialized()))
                        if let answer = try? await self.client.execute(call, timeout: .seconds(10)), answer.status.code < 500 { return }
                        try await Task.sleep(for: .milliseconds(200))
                    }
                }
            }
            let lost = loseAnswers.withLock { count in
                defer { count = max(0, count - 1) }
                return count > 0
            }
            if lost { return Response(status: .badGateway) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: task.serialized())))
        }
        router.get("api/v1/up/executor/tasks/:id/status") { [self] _, context -> Response in
            let id = context.parameters.get("id", as: Int64.self) ?? 0
            guard let status = statuses.withLock({ $0[id] }) else { return Response(status: .notFound) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "\"\(status)\"")))
        }
        return router
    }

    /// `callback` sent to a random one of ``callbackAddresses``, if any are set.
    func redirected(_ callback: String) -> String {
        guard let address = callbackAddresses.withLock({ $0.randomElement() }),
            let path = callback.range(of: "/api/")
        else { return callback }
        return address + callback[path.lowerBound...]
    }

    /// The tasks received so far, in order.
    public var tasks: [JSONValue] { received.withLock { $0 } }
}
