import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import TollgateJSON

/// The shapes of GitLab's answers.
enum GitLabAnswer {
    static func json(_ status: HTTPResponse.Status, _ body: JSONValue, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body.serializedBytes())))
    }

    static func refused(_ refusal: RepoRefusal) -> Response { json(refusal.status, refusal.body) }

    static func notFound(_ what: String) -> Response { json(.notFound, ["message": .string("404 \(what) Not Found")]) }

    static func bytes(_ bytes: [UInt8]) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Rack::Attack's throttle answer.
    static func throttled() -> Response {
        let reset = Date().addingTimeInterval(1)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return Response(
            status: .tooManyRequests,
            headers: [
                .contentType: "text/plain", .retryAfter: "1", GitLabHeader.rateLimitName: "throttle_authenticated_api",
                GitLabHeader.rateLimitLimit: "60", GitLabHeader.rateLimitObserved: "61", GitLabHeader.rateLimitRemaining: "0",
                GitLabHeader.rateLimitReset: String(Int(reset.timeIntervalSince1970)), GitLabHeader.rateLimitResetTime: formatter.string(from: reset),
            ],
            body: .init(byteBuffer: ByteBuffer(string: "Retry later\n")))
    }

    /// The proxy in front of GitLab losing an answer: nginx's 502 page.
    static func badGateway() -> Response {
        Response(
            status: .badGateway, headers: [.contentType: "text/html"],
            body: .init(byteBuffer: ByteBuffer(string: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>")))
    }

    /// GitLab's timestamps: `2025-01-31T10:00:00.000Z`.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

extension FakeGitLabRepositories {
    /// GitLab's answer before routing: records the request, then rate limits and authentication.
    func gate(_ request: Request) -> Response? {
        let throttled = state.withLock { state -> Bool in
            state.requests.append("\(request.method.rawValue) \(request.uri.path)" + (request.uri.query.map { "?\($0)" } ?? ""))
            guard state.throttled > 0 else { return false }
            state.throttled -= 1
            return true
        }
        if throttled { return GitLabAnswer.throttled() }
        guard access.authenticates(request, token: token) else {
            return GitLabAnswer.json(.unauthorized, ["message": "401 Unauthorized"])
        }
        return nil
    }

    /// The decoded value of a path parameter (Hummingbird hands it over still percent-encoded).
    static func parameter(_ name: String, _ context: BasicRequestContext) -> String? {
        context.parameters.get(name).flatMap { $0.removingPercentEncoding }
    }
}
