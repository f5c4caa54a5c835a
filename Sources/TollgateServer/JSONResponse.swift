import HTTPTypes
import Hummingbird
import NIOCore
import TollgateJSON

/// A JSON body, serialized by Tollgate's own serializer (key order as built).
struct JSONResponse: ResponseGenerator {
    var value: JSONValue
    var status: HTTPResponse.Status = .ok

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: value.serialized())))
    }
}

extension Request {
    /// The body as JSON; nil when there is none. A body that is not JSON is a 400 with the place.
    mutating func jsonBody(context: some RequestContext, limit: Int = 4 << 20) async throws -> JSONValue? {
        let buffer = try await collectBody(upTo: limit)
        guard buffer.readableBytes > 0 else { return nil }
        let bytes = Array(buffer.readableBytesView)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw ODMError.unreadableBody("the request body is not JSON: \(error)")
        }
    }
}
