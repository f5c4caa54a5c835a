public import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
public import TollgateJSON
public import TollgateLifecycle

/// Posts JSON to a URL; any answer outside 2xx or a transport failure is a retryable error.
struct JSONPoster: Sendable {
    let client: HTTPClient

    func post(_ url: String, _ body: String, headers: [(String, String)] = [], what: String) async throws(NotifierError) {
        // One attempt: the outbox retries deliveries with its own backoff.
        let answer: OutboundHTTP.Answer
        do {
            answer = try await OutboundHTTP(client: client).send(.POST, url, headers: headers, body: body, idempotent: false, what: what)
        } catch {
            throw NotifierError(error.description)
        }
        guard (200..<300).contains(answer.status) else {
            throw NotifierError("\(what) answered \(answer.status) to POST \(OutboundHTTP.redacted(url))")
        }
    }
}

/// ODM's two receivers of events: an observer (`POST {address}/api/v1/up/observer/notifications`,
/// the event wrapped in a notification) or the notification service
/// (`POST {address}/api/v1/pp/notification/dispatch`, the event as it is).
public struct ODMNotifier: Notifier {
    /// Which ODM receiver.
    public enum Receiver: Sendable {
        case observer
        case dispatch
    }

    public let name: String
    let receiver: Receiver
    let address: String
    let poster: JSONPoster

    public init(name: String, receiver: Receiver, address: String, client: HTTPClient) {
        self.name = name
        self.receiver = receiver
        self.address = address.hasSuffix("/") ? String(address.dropLast()) : address
        self.poster = JSONPoster(client: client)
    }

    public func deliver(_ event: JSONValue) async throws(NotifierError) {
        switch receiver {
        case .observer:
            let body: JSONValue = [
                "id": event["id"] ?? .null, "event": event, "status": "PROCESSING", "observer": ["name": "tollgate"],
                "receivedAt": .string(Timestamp.formatMilliseconds(Date())),
            ]
            try await poster.post("\(address)/api/v1/up/observer/notifications", body.serialized(), what: "observer \(name)")
        case .dispatch:
            try await poster.post("\(address)/api/v1/pp/notification/dispatch", event.serialized(), what: "notification service \(name)")
        }
    }
}

/// A webhook: the event as the body, signed with HMAC-SHA256 in `X-Tollgate-Signature: sha256=<hex>`,
/// and its id in `X-Tollgate-Event-Id`.
public struct WebhookNotifier: Notifier {
    public let name: String
    let url: String
    let secret: [UInt8]?
    let poster: JSONPoster

    public init(name: String, url: String, secret: String?, client: HTTPClient) {
        self.name = name
        self.url = url
        self.secret = secret.map { Array($0.utf8) }
        self.poster = JSONPoster(client: client)
    }

    /// The signature header value of `body`.
    public static func signature(_ body: String, secret: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: SymmetricKey(data: secret))
        return "sha256=" + mac.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    public func deliver(_ event: JSONValue) async throws(NotifierError) {
        let body = event.serialized()
        var headers = [("X-Tollgate-Event-Id", event["id"]?.stringValue ?? "")]
        if let secret { headers.append(("X-Tollgate-Signature", Self.signature(body, secret: secret))) }
        try await poster.post(url, body, headers: headers, what: "webhook \(name)")
    }
}
