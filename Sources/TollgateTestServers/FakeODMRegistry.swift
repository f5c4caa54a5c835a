public import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
public import Synchronization
public import TollgateJSON

/// An ODM registry on loopback: serves product versions in their normalized form at
/// `GET /api/v1/pp/registry/products/{product}/versions/{version}` and templates (their
/// `definition` as JSON text, as ODM's registry answers) at `GET /api/v1/pp/registry/templates/{id}`;
/// unknown ones answer 404.
public final class FakeODMRegistry: Sendable {
    /// The request URIs received, in order.
    public let requests = Mutex<[String]>([])
    /// How long each answer takes (a slow registry).
    public let delay = Mutex<Duration>(.zero)
    let versions: [String: JSONValue]
    let templates: [String: JSONValue]
    let server = LoopbackServer()

    /// `versions` maps `product@version` to the normalized descriptor, `templates` a template id to
    /// the registry's template resource.
    public init(versions: [String: JSONValue], templates: [String: JSONValue] = [:]) {
        self.versions = versions
        self.templates = templates
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
        router.get("api/v1/pp/registry/templates/:id") { [self] request, context -> Response in
            requests.withLock { $0.append(request.uri.description) }
            guard let template = templates[context.parameters.get("id") ?? ""] else { return Response(status: .notFound) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: template.serialized())))
        }
        return router
    }
}
