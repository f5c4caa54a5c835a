public import AsyncHTTPClient
import Foundation
public import NIOCore
public import NIOHTTP1
import TollgateLifecycle
import Tracing

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
        /// How long the remote asked to be left alone (`Retry-After`, or `RateLimit-Reset` with
        /// nothing remaining), when it did.
        public var retryAfter: Duration?
        /// The answer's body, when there was one (for reading the remote's error message).
        public var body: String?
    }

    /// An answer.
    public struct Answer: Sendable {
        public var status: Int
        public var body: String
        /// The answer's headers.
        public var headers: HTTPHeaders = [:]
        /// How long to wait before calling this remote again, when it said its quota is spent
        /// (`RateLimit-Remaining: 0` with `RateLimit-Reset`).
        public var retryAfter: Duration?
    }

    let client: HTTPClient
    /// Attempts for requests that are safe to repeat.
    public var attempts = 3
    /// First backoff; doubles per attempt, with up to 50% random jitter added.
    public var backoff: Duration = .milliseconds(200)
    /// The longest a call waits in all for what the remote asked (`Retry-After`, a spent quota)
    /// before it gives up and passes the wait on to its caller. Such waits are not failed attempts.
    public var maxRetryAfter: Duration = .seconds(10)
    /// Waits for the remote a call makes at most, however short each.
    static let maximumRemoteWaits = 30
    /// Deadline of one attempt, until the answer's head arrives (a large body adds a second per
    /// MiB to it); its body then streams as long as bytes keep coming.
    public var timeout: Duration = .seconds(10)

    public init(client: HTTPClient) { self.client = client }

    /// The most an answer's body may hold when it is read whole; larger bodies are streamed
    /// (`receive`).
    public static let maximumAnswerBytes = 8 << 20
    /// What is kept of an error answer's body (for its message).
    static let maximumErrorBytes = 1 << 20

    /// Sends one request. `what` names the remote in errors ("executor azure-devops").
    public func send(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: String? = nil, idempotent: Bool? = nil,
        contentType: String = "application/json", what: String
    ) async throws(Failure) -> Answer {
        try await send(method, url, headers: headers, payload: body.map(OutboundBody.text), idempotent: idempotent, contentType: contentType, what: what)
    }

    /// Sends one request whose body may be streamed. With `receive`, a successful (2xx) answer's
    /// body is handed to it piece by piece, so that an answer of any size passes through bounded
    /// memory (other answers come back with their body as text); a failure while `receive` runs
    /// is not retried here, as part of the body has been taken. Without it, the body is read
    /// whole, up to `maximumAnswerBytes`.
    public func send(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], payload: OutboundBody?, idempotent: Bool? = nil,
        contentType: String = "application/json", what: String, receive: ((ByteBuffer) async throws -> Void)? = nil
    ) async throws(Failure) -> Answer {
        try await exchange(
            method, url, headers: headers, body: payload, idempotent: idempotent, contentType: contentType, what: what,
            restartsOnBodyFailure: receive == nil
        ) { body throws in
            if let receive {
                for try await piece in body {
                    do { try await receive(piece) } catch { throw ReceiverFailed(underlying: error) }
                }
                return ""
            }
            do {
                return String(buffer: try await body.collect(upTo: Self.maximumAnswerBytes))
            } catch is NIOTooManyBytesError {
                throw AnswerTooLarge()
            }
        }
    }

    /// A successful answer's body was larger than `maximumAnswerBytes`.
    struct AnswerTooLarge: Error {}

    /// The caller's `receive` refused a piece of the answer (too large, a disk full).
    struct ReceiverFailed: Error {
        var underlying: any Error
    }

    /// One call in a client span of its own (a child of the current trace), whose W3C context
    /// travels in the request's headers.
    private func exchange(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)], body: OutboundBody?, idempotent: Bool?, contentType: String,
        what: String, restartsOnBodyFailure: Bool, read: (HTTPClientResponse.Body) async throws -> String
    ) async throws(Failure) -> Answer {
        let span = startSpan("\(method.rawValue) \(what)", ofKind: .client)
        defer { span.end() }
        span.attributes["http.request.method"] = method.rawValue
        span.attributes["url.full"] = Self.redacted(url)
        let traced = headers.filter { $0.0.lowercased() != "traceparent" && $0.0.lowercased() != "tracestate" }
            + TraceContext.headers(of: span.context).map { ($0.key, $0.value) }
        do throws(Failure) {
            let answer = try await attempts(
                method, url, headers: traced, body: body, idempotent: idempotent, contentType: contentType, what: what,
                restartsOnBodyFailure: restartsOnBodyFailure, read: read)
            span.attributes["http.response.status_code"] = answer.status
            return answer
        } catch {
            if let status = error.status { span.attributes["http.response.status_code"] = status }
            span.setStatus(SpanStatus(code: .error, message: error.description))
            throw error
        }
    }

    private func attempts(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)], body: OutboundBody?, idempotent: Bool?, contentType: String,
        what: String, restartsOnBodyFailure: Bool, read: (HTTPClientResponse.Body) async throws -> String
    ) async throws(Failure) -> Answer {
        let repeatable = idempotent ?? (method == .GET || method == .HEAD)
        // Named in failures only, so a call that succeeds does not pay for the redaction.
        var call: String { "\(method.rawValue) \(Self.redacted(url))" }
        var attempt = 0
        var waitedForRemote = Duration.zero, remoteWaits = 0
        while true {
            attempt += 1
            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers.add(name: "Accept", value: "application/json")
            if body != nil { request.headers.add(name: "Content-Type", value: contentType) }
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body { request.body = body.requestBody }
            var failure: Failure
            var wait: Duration?
            var bodyStarted = false
            do {
                let limit = timeout + (body?.sendingAllowance ?? .zero)
                let response = try await client.execute(
                    request, deadline: .now() + TimeAmount.nanoseconds(Int64(limit.components.seconds * 1_000_000_000 + limit.components.attoseconds / 1_000_000_000)))
                let status = Int(response.status.code)
                let pause = Self.pause(response.headers)
                if (200..<300).contains(status) {
                    bodyStarted = true
                    let text = try await read(response.body)
                    return Answer(status: status, body: text, headers: response.headers, retryAfter: pause.quotaSpent)
                }
                let text = String(buffer: try await response.body.collect(upTo: Self.maximumErrorBytes))
                if status < 400 || status < 500 && status != 429 {
                    return Answer(status: status, body: text, headers: response.headers, retryAfter: status < 400 ? pause.quotaSpent : nil)
                }
                failure = Failure(
                    retryable: true, status: status,
                    description: "\(what) answered \(status) to \(call): \(Self.redacted(String(text.prefix(300))))",
                    retryAfter: pause.retryAfter ?? pause.quotaSpent, body: text)
                wait = failure.retryAfter
            } catch let refused as ReceiverFailed {
                throw Failure(retryable: false, status: 200, description: "\(what) answered \(call), but its answer was not taken: \(refused.underlying)")
            } catch is AnswerTooLarge {
                throw Failure(
                    retryable: false, status: 200,
                    description: "\(what) answered \(call) with more than \(Self.maximumAnswerBytes >> 20) MiB, more than Tollgate reads whole")
            } catch {
                failure = Failure(retryable: true, status: nil, description: "\(what) is unreachable (\(call)): \(Self.redacted("\(error)"))")
                if bodyStarted && !restartsOnBodyFailure {
                    failure.description = "\(what) broke off its answer to \(call): \(Self.redacted("\(error)"))"
                    throw failure
                }
            }
            if let after = wait {
                // The remote said how long to wait: wait it out (not a failed attempt), up to the ceiling.
                guard repeatable, waitedForRemote + after <= maxRetryAfter, remoteWaits < Self.maximumRemoteWaits else { throw failure }
                waitedForRemote += after
                remoteWaits += 1
                attempt -= 1
            }
            guard repeatable, attempt < attempts || wait != nil else { throw failure }
            let base = backoff * (1 << max(0, attempt - 1))
            let jitter = Duration.milliseconds(Int64.random(in: 0...max(1, base.components.seconds * 500 + base.components.attoseconds / 2_000_000_000_000_000)))
            try? await Task.sleep(for: wait ?? (base + jitter))
        }
    }

    /// What the headers ask of the caller: `Retry-After` (seconds or an HTTP date), and the wait
    /// until `RateLimit-Reset` (a unix time) when `RateLimit-Remaining` is 0.
    static func pause(_ headers: HTTPHeaders, now: Date = Date()) -> (retryAfter: Duration?, quotaSpent: Duration?) {
        var retryAfter: Duration?
        if let text = headers.first(name: "Retry-After") {
            if let seconds = Double(text.trimmingCharacters(in: .whitespaces)) {
                retryAfter = .milliseconds(Int64(max(0, seconds) * 1000))
            } else if let date = Self.httpDate(text) {
                retryAfter = .milliseconds(Int64(max(0, date.timeIntervalSince(now)) * 1000))
            }
        }
        var quotaSpent: Duration?
        if headers.first(name: "RateLimit-Remaining").flatMap({ Int($0) }) == 0,
            let reset = headers.first(name: "RateLimit-Reset").flatMap(Double.init)
        {
            quotaSpent = .milliseconds(Int64(max(0, reset - now.timeIntervalSince1970) * 1000))
        }
        return (retryAfter, quotaSpent)
    }

    /// An RFC 9110 date (`Sun, 06 Nov 1994 08:49:37 GMT`).
    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
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
