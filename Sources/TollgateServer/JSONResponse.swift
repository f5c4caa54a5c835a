import HTTPTypes
import Hummingbird
import NIOCore
import TollgateJSON

/// A JSON body, serialized by Tollgate's own serializer (key order as built).
struct JSONResponse: ResponseGenerator {
    var value: JSONValue
    var status: HTTPResponse.Status = .ok
    /// The cursor of the next page of a paged list, sent as `X-Next-Cursor`.
    var nextCursor: Int64?

    init(value: JSONValue, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let nextCursor, let name = HTTPField.Name("X-Next-Cursor") { headers[name] = String(nextCursor) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: value.serialized())))
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
