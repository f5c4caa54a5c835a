public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TollgateJSON
public import TollgateLifecycle

/// Descriptors from an ODM registry:
/// `GET {address}/api/v1/pp/registry/products/{productId}/versions/{version}?format=normalized`.
public struct ODMRegistryClient: DescriptorSource {
    public let address: String
    let client: HTTPClient

    public init(address: String, client: HTTPClient) {
        self.address = address.hasSuffix("/") ? String(address.dropLast()) : address
        self.client = client
    }

    public func descriptor(productId: String, version: String) async throws(DescriptorSourceError) -> DataProductDescriptor {
        let product = productId.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? productId
        let url = "\(address)/api/v1/pp/registry/products/\(product)/versions/\(version)?format=normalized"
        let status: Int
        let body: String
        do {
            let answer = try await OutboundHTTP(client: client).send(.GET, url, what: "the registry at \(address)")
            status = answer.status
            body = answer.body
        } catch {
            throw .unreachable(error.description)
        }
        if status == 404 { throw .notFound("the registry has no version \(version) of data product \(productId)") }
        guard (200..<300).contains(status) else {
            throw .unreachable("the registry answered \(status) to GET \(url): \(body.prefix(300))")
        }
        do {
            var document = try JSONValue.parse(body)
            // Some registries wrap the descriptor as a string field.
            if let inner = document["content"]?.stringValue { document = try JSONValue.parse(inner) }
            return try DataProductDescriptor(document: document)
        } catch let error as DescriptorError {
            throw .invalid(error)
        } catch {
            throw .invalid(DescriptorError(path: "", message: "the registry's answer is not JSON: \(error)"))
        }
    }
}
