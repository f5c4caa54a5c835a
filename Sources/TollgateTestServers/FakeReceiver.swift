public import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import NIOCore
public import Synchronization
public import TollgateJSON

/// An ODM observer (`POST /api/v1/up/observer/notifications`) and a webhook receiver
/// (`POST /hook`) on loopback, keeping what they receive.
public final class FakeReceiver: Sendable {
    public let observed = Mutex<[JSONValue]>([])
    public let hooked = Mutex<[(body: String, signature: String?, id: String?)]>([])
    let server = LoopbackServer()

    public init() {}

    public var port: Int { server.port }
    public var address: String { server.address }
    public func start(client: HTTPClient) async throws { try await server.start(router(), client: client) }
    public func stop() { server.stop() }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("api/v1/up/observer/notifications") { [self] request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            observed.withLock { $0.append((try? JSONValue.parse(Array(body.readableBytesView))) ?? .null) }
            return .ok
        }
        router.post("hook") { [self] request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            let signature = request.headers[HTTPField.Name("X-Tollgate-Signature")!]
            let id = request.headers[HTTPField.Name("X-Tollgate-Event-Id")!]
            hooked.withLock { $0.append((String(buffer: body), signature, id)) }
            return .ok
        }
        return router
    }
}
