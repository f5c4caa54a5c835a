import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Limits on the server's connections (`server:` in the configuration), so half-open and slow
/// clients cannot hold the server: a connection cap answered by 503, a deadline for each part of a
/// request body, and an idle limit for connections between requests (and before their first).
public struct ConnectionLimits: Sendable, Equatable {
    /// Connections served at once; one more is answered 503 and closed.
    public var maxConnections = 1_000
    /// Seconds a connection may stay open without a request, before its first and between
    /// keep-alive requests (a request head that never completes included).
    public var idleTimeoutSeconds = 30.0
    /// Seconds to wait for the next piece of a request body once its head has arrived.
    public var bodyTimeoutSeconds = 30.0

    public init() {}
}

/// Counts the open connections shared by every ``ConnectionGuard``.
final class ConnectionCount: Sendable {
    private let open = Atomic<Int>(0)

    /// Counts one more; returns the number open with it.
    func increment() -> Int { open.wrappingAdd(1, ordering: .relaxed).newValue }

    func decrement() { open.wrappingSubtract(1, ordering: .relaxed) }

    var current: Int { open.load(ordering: .relaxed) }
}

/// One connection's guard, in its channel pipeline after HTTP decoding: answers 503 when the
/// connection is one too many, and closes a connection whose request body stalls.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let limits: ConnectionLimits
    let count: ConnectionCount
    private var counted = false
    private var refused = false
    private var bodyDeadline: Scheduled<Void>?

    init(limits: ConnectionLimits, count: ConnectionCount) {
        self.limits = limits
        self.count = count
    }

    func handlerAdded(context: ChannelHandlerContext) {
        counted = true
        refused = count.increment() > limits.maxConnections
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        bodyDeadline?.cancel()
        if counted {
            counted = false
            count.decrement()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if refused {
            if case .head(let head) = part { refuse(context, path: head.path ?? "/") }
            return
        }
        switch part {
        case .head, .body: armBodyDeadline(context)
        case .end:
            bodyDeadline?.cancel()
            bodyDeadline = nil
        }
        context.fireChannelRead(data)
    }

    /// Closes the connection when the next piece of the body does not come in time.
    private func armBodyDeadline(_ context: ChannelHandlerContext) {
        bodyDeadline?.cancel()
        let loop = context.eventLoop.assumeIsolated()
        bodyDeadline = loop.scheduleTask(in: .nanoseconds(Int64(limits.bodyTimeoutSeconds * 1e9))) {
            context.close(promise: nil)
        }
    }

    private func refuse(_ context: ChannelHandlerContext, path: String) {
        let body = ODMError(
            status: .serviceUnavailable, code: "50300", summary: "Service unavailable",
            message: "the server has \(limits.maxConnections) connections open, its limit (server.maxConnections); try again shortly"
        ).body(path: path)
        var head = HTTPResponse(status: .serviceUnavailable)
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(body.utf8.count)
        head.headerFields[.connection] = "close"
        head.headerFields[.retryAfter] = "1"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(string: body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
