import AsyncHTTPClient
public import NIOCore

/// What an outbound request carries: text, or bytes produced piece by piece (a file read from
/// disk), made afresh for each attempt.
public enum OutboundBody: Sendable {
    case text(String)
    /// `length` bytes in all, from `pieces`, which is called once per attempt.
    case stream(length: Int, pieces: @Sendable () -> AsyncThrowingStream<ByteBuffer, any Error>)

    /// The bytes it holds.
    var length: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .stream(let length, _): length
        }
    }

    /// Time added to a call's deadline for sending this body: a second per MiB, so that a large
    /// upload on a slow link is not cut off (the deadline runs until the answer's head arrives).
    var sendingAllowance: Duration { .milliseconds(Int64(length >> 10)) }

    var requestBody: HTTPClientRequest.Body {
        switch self {
        case .text(let text): .bytes(ByteBuffer(string: text))
        case .stream(let length, let pieces): .stream(pieces(), length: .known(Int64(length)))
        }
    }
}
