public import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
public import Synchronization
public import TollgateJSON

/// An ODM registry on loopback: serves product versions in their normalized form at
/// `GET /api/v1/pp/registry/products/{product}/versions/{version}`; unknown versions answer 404.
public final class FakeODMRegistry: Sendable {
    /// The request URIs received, in order.
    public let requests = Mutex<[String]>([])
    /// How long each answer takes (a slow registry).
    public let delay = Mutex<Duration>(.zero)
    let versions: [String: JSONValue]
    let server = LoopbackServer()

    /// `versions` maps `product@version` to the normalized descriptor.
    public init(versions: [String: JSONValue]) {
        self.versions = versions
    }

    public var address: String { server.address }
    public func start(client: HTTPClient) async throws { try await server.start(router(), client: client) }
    public func stop() { server.stop() }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("api/v1/pp/registry/products/:product/versions/:version") { [self] request, context -> Response in
            requests.withLock { $0.append(request.uri.description) }
            try await Task.sleep(for: delay.withLock { $0 })
            let product = context.parameters.get("product")?.removingPercentEncoding ?? ""
            let key = "\(product)@\(context.parameters.get("version") ?? "")"
            guard let document = versions[key] else { return Response(status: .notFound) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: document.serialized())))
        }
        return router
    }
}
