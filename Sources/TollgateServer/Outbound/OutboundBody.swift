import AsyncHTTPClient
public import NIOCore

/// What an outbound request carries: text, or bytes produced piece by piece (a file read from
/// disk), made afresh for each attempt.
public enum OutboundBody: Sendable {
    case text(String)
    /// `length` bytes in all, from `pieces`, which is called once per attempt.
    case stream(length: Int, pieces: @Sendable () -> AsyncThrowingStream<ByteBuffer, any Error>)

    var requestBody: HTTPClientRequest.Body {
        switch self {
        case .text(let text): .bytes(ByteBuffer(string: text))
        case .stream(let length, let pieces): .stream(pieces(), length: .known(Int64(length)))
        }
    }
}
