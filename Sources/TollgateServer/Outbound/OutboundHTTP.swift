public import AsyncHTTPClient
import Foundation
import NIOCore
public import NIOHTTP1

/// The one way Tollgate calls other services (executors, registries, notification receivers).
///
/// - Requests that are safe to repeat (GET, HEAD, or marked idempotent) are retried on connection
///   failures, 429 and 5xx, with exponential backoff and jitter, honouring `Retry-After`; others are
///   sent once (the outbox decides when to try again).
/// - Every error names the remote, the call and the status, with secrets (authorization and
///   secret headers, `token` query parameters) redacted.
public struct OutboundHTTP: Sendable {
    /// A failed call.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// Whether trying again later may succeed.
        public var retryable: Bool
        /// The HTTP status, when there was an answer.
        public var status: Int?
        public var description: String
    }

    /// An answer.
    public struct Answer: Sendable {
        public var status: Int
        public var body: String
    }

    let client: HTTPClient
    /// Attempts for requests that are safe to repeat.
    public var attempts = 3
    /// First backoff; doubles per attempt, with up to 50% random jitter added.
    public var backoff: Duration = .milliseconds(200)
    /// The longest wait `Retry-After` may impose before an attempt.
    public var maxRetryAfter: Duration = .seconds(10)
    /// Deadline of one attempt.
    public var timeout: Duration = .seconds(10)

    public init(client: HTTPClient) { self.client = client }

    /// Sends one request. `what` names the remote in errors ("executor azure-devops").
    public func send(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: String? = nil, idempotent: Bool? = nil,
        what: String
    ) async throws(Failure) -> Answer {
        let repeatable = idempotent ?? (method == .GET || method == .HEAD)
        let call = "\(method.rawValue) \(Self.redacted(url))"
        var attempt = 0
        while true {
            attempt += 1
            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers.add(name: "Accept", value: "application/json")
            if body != nil { request.headers.add(name: "Content-Type", value: "application/json") }
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(ByteBuffer(string: body)) }
            var failure: Failure
            var wait: Duration?
            do {
                let response = try await client.execute(request, deadline: .now() + TimeAmount.nanoseconds(Int64(timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)))
                let text = String(buffer: try await response.body.collect(upTo: 8 << 20))
                let status = Int(response.status.code)
                if (200..<400).contains(status) || (400..<500).contains(status) && status != 429 {
                    return Answer(status: status, body: text)
                }
                failure = Failure(
                    retryable: true, status: status,
                    description: "\(what) answered \(status) to \(call): \(Self.redacted(String(text.prefix(300))))")
                if let after = response.headers.first(name: "Retry-After").flatMap(Double.init) {
                    wait = min(.milliseconds(Int64(after * 1000)), maxRetryAfter)
                }
            } catch {
                failure = Failure(retryable: true, status: nil, description: "\(what) is unreachable (\(call)): \(Self.redacted("\(error)"))")
            }
            guard repeatable, attempt < attempts else { throw failure }
            let base = backoff * (1 << (attempt - 1))
            let jitter = Duration.milliseconds(Int64.random(in: 0...max(1, base.components.seconds * 500 + base.components.attoseconds / 2_000_000_000_000_000)))
            try? await Task.sleep(for: wait ?? (base + jitter))
        }
    }

    /// `text` with secrets replaced by `***` (token and secret query values).
    static func redacted(_ text: String) -> String {
        var out = text
        for key in ["token=", "secret=", "private_token=", "access_token="] {
            var searchStart = out.startIndex
            while let range = out.range(of: key, options: .caseInsensitive, range: searchStart..<out.endIndex) {
                let valueEnd = out[range.upperBound...].firstIndex { $0 == "&" || $0 == " " || $0 == "\"" || $0 == "'" } ?? out.endIndex
                out.replaceSubrange(range.upperBound..<valueEnd, with: "***")
                searchStart = out.index(range.upperBound, offsetBy: 3, limitedBy: out.endIndex) ?? out.endIndex
            }
        }
        return out
    }
}
