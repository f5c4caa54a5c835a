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
    /// The deepest nesting of arrays and objects a request body may have: decisions keep a body
    /// inside their input, and every stored value must read back whole.
    static let maxBodyDepth = 64

    /// The body as JSON; nil when there is none. A body whose `Content-Type` is not JSON is a 415; a
    /// body that is not JSON is a 400 with the place; one over `limit` bytes a 413.
    mutating func jsonBody(context: some RequestContext, limit: Int = 4 << 20) async throws -> JSONValue? {
        let buffer: ByteBuffer
        do {
            buffer = try await collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw ODMError.bodyTooLarge("the request body is larger than \(limit) bytes, the most this endpoint accepts")
        }
        guard buffer.readableBytes > 0 else { return nil }
        let bytes = Array(buffer.readableBytesView)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
        let contentType = headers[.contentType]
        guard let contentType, MediaTypes.isJSON(contentType) else {
            throw ODMError.unsupportedMediaType(
                "the request body must be JSON, sent with Content-Type: application/json (it came "
                    + (contentType.map { "as \($0)" } ?? "without a Content-Type") + ")")
        }
        do {
            return try JSONValue.parse(bytes, maxDepth: Self.maxBodyDepth)
        } catch {
            throw ODMError.unreadableBody("the request body is not JSON: \(error)")
        }
    }
}
