public import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import NIOCore
public import Synchronization

/// An OpenTelemetry collector's OTLP/HTTP traces endpoint (`POST /v1/traces`) in its default
/// encoding, binary protobuf (`Content-Type: application/x-protobuf`; `ExportTraceServiceRequest`
/// of opentelemetry-proto's `trace_service.proto`), keeping the spans it receives. Other content
/// types are refused with 415, as a collector would.
public final class FakeOTLPReceiver: Sendable {
    /// One received span.
    public struct Span: Sendable, Equatable {
        /// Hex, as the OTLP/JSON encoding and W3C `traceparent` write it.
        public var traceId: String
        public var spanId: String
        /// Empty for a root span.
        public var parentSpanId: String
        public var name: String
        /// OTLP's numbering: 1 internal, 2 server, 3 client, 4 producer, 5 consumer.
        public var kind: Int
        /// Attributes with their values as text (arrays joined with commas).
        public var attributes: [String: String]
        /// OTLP's numbering: 0 unset, 1 ok, 2 error.
        public var statusCode: Int
        /// The resource's `service.name`.
        public var service: String
    }

    public let spans = Mutex<[Span]>([])
    let server = LoopbackServer()

    public init() {}

    /// Where spans are posted: `http://127.0.0.1:<port>/v1/traces`.
    public var endpoint: String { server.address + "/v1/traces" }
    public func start(client: HTTPClient) async throws { try await server.start(router(), client: client) }
    public func stop() { server.stop() }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("v1/traces") { [self] request, _ -> Response in
            guard request.headers[.contentType] == "application/x-protobuf" else { return Response(status: .unsupportedMediaType) }
            let body = try await request.body.collect(upTo: 16 << 20)
            guard let received = try? Self.spans(in: Array(body.readableBytesView)) else { return Response(status: .badRequest) }
            spans.withLock { $0.append(contentsOf: received) }
            // An empty ExportTraceServiceResponse: everything accepted.
            return Response(status: .ok, headers: [.contentType: "application/x-protobuf"])
        }
        return router
    }

    /// The spans of an `ExportTraceServiceRequest` (resource_spans = 1).
    static func spans(in message: [UInt8]) throws -> [Span] {
        var spans: [Span] = []
        var request = ProtobufWire(message)
        try request.fields { number, value in
            guard number == 1 else { return }
            // ResourceSpans: resource = 1, scope_spans = 2.
            var service = ""
            var scopes: [[UInt8]] = []
            var resourceSpans = ProtobufWire(value.data)
            try resourceSpans.fields { number, value in
                if number == 1 {
                    var resource = ProtobufWire(value.data)
                    try resource.fields { number, value in
                        if number == 1, let (key, text) = try attribute(value.data), key == "service.name" { service = text }
                    }
                } else if number == 2 {
                    scopes.append(value.data)
                }
            }
            for scope in scopes {
                // ScopeSpans: spans = 2.
                var scopeSpans = ProtobufWire(scope)
                try scopeSpans.fields { number, value in
                    if number == 2 { spans.append(try span(value.data, service: service)) }
                }
            }
        }
        return spans
    }

    /// A `Span`: trace_id 1, span_id 2, parent_span_id 4, name 5, kind 6, attributes 9, status 15.
    static func span(_ bytes: [UInt8], service: String) throws -> Span {
        var span = Span(traceId: "", spanId: "", parentSpanId: "", name: "", kind: 0, attributes: [:], statusCode: 0, service: service)
        var wire = ProtobufWire(bytes)
        try wire.fields { number, value in
            switch number {
            case 1: span.traceId = value.hex
            case 2: span.spanId = value.hex
            case 4: span.parentSpanId = value.hex
            case 5: span.name = value.text
            case 6: span.kind = Int(value.integer)
            case 9: if let (key, text) = try attribute(value.data) { span.attributes[key] = text }
            case 15:
                // Status: message = 2, code = 3.
                var status = ProtobufWire(value.data)
                try status.fields { number, value in if number == 3 { span.statusCode = Int(value.integer) } }
            default: break
            }
        }
        return span
    }

    /// A `KeyValue` (key = 1, value = 2) with its `AnyValue` as text.
    static func attribute(_ bytes: [UInt8]) throws -> (String, String)? {
        var key: String?
        var text = ""
        var wire = ProtobufWire(bytes)
        try wire.fields { number, value in
            if number == 1 { key = value.text }
            if number == 2 { text = try anyValue(value.data) }
        }
        return key.map { ($0, text) }
    }

    /// `AnyValue`: string 1, bool 2, int 3, double 4, array 5 (`ArrayValue`: values = 1).
    static func anyValue(_ bytes: [UInt8]) throws -> String {
        var text = ""
        var wire = ProtobufWire(bytes)
        try wire.fields { number, value in
            switch number {
            case 1: text = value.text
            case 2: text = value.integer != 0 ? "true" : "false"
            case 3: text = String(Int64(bitPattern: value.integer))
            case 4: text = String(Double(bitPattern: value.integer))
            case 5:
                var values: [String] = []
                var array = ProtobufWire(value.data)
                try array.fields { number, value in if number == 1 { values.append(try anyValue(value.data)) } }
                text = values.joined(separator: ",")
            default: break
            }
        }
        return text
    }
}
