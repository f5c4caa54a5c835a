import Foundation
import NIOCore
import NIOHTTP1
import TollgateJSON
import TollgateLifecycle

/// GitLab's REST API v4 as the executor uses it: authenticated calls, paging by `Link: rel="next"`,
/// and errors that say what GitLab said and what to do about it.
struct GitLabAPI: Sendable {
    let base: String
    let token: String?
    let http: OutboundHTTP
    /// Told how long to hold back when an answer says the token's quota is spent
    /// (`RateLimit-Remaining: 0`).
    let quotaSpent: (@Sendable (Duration) async -> Void)?
    /// Pages read at most when following `Link: rel="next"`; a list that goes on past them is an
    /// error, never silently cut short.
    let maximumPages = 1_000
    /// Whether refusals ask GitLab who the token is, to word their advice (not while asking that).
    var explainsAccess = true

    /// This API, with refusals explained without asking GitLab anything more.
    func withoutAccessExplanations() -> GitLabAPI {
        var copy = self
        copy.explainsAccess = false
        return copy
    }

    init(settings: GitLabExecutorSettings, http: OutboundHTTP, quotaSpent: (@Sendable (Duration) async -> Void)? = nil) {
        self.init(address: settings.address, token: settings.token, http: http, quotaSpent: quotaSpent)
    }

    init(address: String, token: String?, http: OutboundHTTP, quotaSpent: (@Sendable (Duration) async -> Void)? = nil) {
        base = (address.hasSuffix("/") ? String(address.dropLast()) : address) + "/api/v4"
        self.token = token
        self.http = http
        self.quotaSpent = quotaSpent
    }

    /// A project id or full path as a path segment (`platform%2Fapp`).
    static func project(_ id: String) -> String { URLEncoding.segment(id) }

    static func query(_ items: [(String, String)]) -> String { URLEncoding.query(items) }

    /// The token as a bearer: GitLab takes personal, project and group access tokens that way as
    /// well as OAuth tokens (which it refuses in `PRIVATE-TOKEN`).
    var authorization: [(String, String)] { token.map { [("Authorization", "Bearer \($0)")] } ?? [] }

    /// A GET whose answer is JSON.
    func get(_ path: String, what: String) async throws(GitLabFailure) -> JSONValue {
        let answer = try await send(.GET, path, what: what)
        guard let json = try? JSONValue.parse(answer.body) else {
            throw GitLabFailure(retryable: true, status: answer.status, message: "GitLab answered \(what) with something that is not JSON")
        }
        return json
    }

    /// Every item of a paged list, following `Link: rel="next"` to the end.
    func list(_ path: String, what: String) async throws(GitLabFailure) -> [JSONValue] {
        var items: [JSONValue] = []
        var next: String? = base + path
        var pages = 0
        while let url = next {
            guard pages < maximumPages else {
                throw GitLabFailure(
                    retryable: false, status: 200,
                    message: "GitLab's answer to \(what) goes on past \(maximumPages) pages (\(items.count) entries so far); Tollgate stops"
                        + " rather than read on or use part of it. Narrow it: a group or a project of its own for the descriptors, fewer pipelines on the ref.")
            }
            let answer = try await send(.GET, url, absolute: true, what: what)
            guard let page = (try? JSONValue.parse(answer.body))?.arrayValue else {
                throw GitLabFailure(retryable: true, status: answer.status, message: "GitLab answered \(what) with something that is not a JSON list")
            }
            items += page
            next = Self.nextLink(answer.headers.first(name: "Link"))
            pages += 1
        }
        return items
    }

    /// A GET whose answer is handed to `receive` piece by piece (a job trace, a file's bytes), so
    /// that any size passes through bounded memory; answers the headers.
    func receive(_ path: String, what: String, _ receive: @escaping (ByteBuffer) async throws -> Void) async throws(GitLabFailure) -> HTTPHeaders {
        try await send(.GET, path, payload: nil, what: what, receive: receive).headers
    }

    func post(_ path: String, body: JSONValue, headers: [(String, String)]? = nil, what: String) async throws(GitLabFailure) -> JSONValue {
        let answer = try await send(.POST, path, headers: headers, body: body.serialized(), what: what)
        return (try? JSONValue.parse(answer.body)) ?? .null
    }

    func put(_ path: String, body: JSONValue, what: String) async throws(GitLabFailure) -> JSONValue {
        let answer = try await send(.PUT, path, body: body.serialized(), what: what)
        return (try? JSONValue.parse(answer.body)) ?? .null
    }

    func delete(_ path: String, body: JSONValue, what: String) async throws(GitLabFailure) {
        _ = try await send(.DELETE, path, body: body.serialized(), what: what)
    }

    func send(
        _ method: HTTPMethod, _ path: String, absolute: Bool = false, headers: [(String, String)]? = nil, body: String? = nil,
        what: String
    ) async throws(GitLabFailure) -> OutboundHTTP.Answer {
        try await send(method, path, absolute: absolute, headers: headers, payload: body.map(OutboundBody.text), what: what)
    }

    func send(
        _ method: HTTPMethod, _ path: String, absolute: Bool = false, headers: [(String, String)]? = nil, payload: OutboundBody?,
        what: String, receive: ((ByteBuffer) async throws -> Void)? = nil
    ) async throws(GitLabFailure) -> OutboundHTTP.Answer {
        let answer: OutboundHTTP.Answer
        do {
            answer = try await http.send(
                method, absolute ? path : base + path, headers: headers ?? authorization, payload: payload, what: "GitLab (\(what))",
                receive: receive)
        } catch {
            throw GitLabFailure(error, service: "GitLab", what: what)
        }
        if let pause = answer.retryAfter, let quotaSpent { await quotaSpent(pause) }
        guard (200..<300).contains(answer.status) else {
            // A refusal about permissions names the token's user and role, so that the advice fits.
            var access: GitLabAccess?
            if explainsAccess, token != nil, GitLabRefusal.isAboutAccess(status: answer.status, body: answer.body),
                let project = GitLabRefusal.project(inPath: absolute ? String(path.dropFirst(base.count)) : path)
            {
                access = try? await withoutAccessExplanations().access(on: project)
            }
            throw GitLabFailure(
                retryable: false, status: answer.status,
                message: GitLabRefusal.explain(status: answer.status, body: answer.body, what: what, path: path, access: access))
        }
        return answer
    }

    /// The `rel="next"` address of a `Link` header.
    static func nextLink(_ header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ",") where part.contains("rel=\"next\"") {
            guard let open = part.firstIndex(of: "<"), let close = part.firstIndex(of: ">") else { continue }
            return String(part[part.index(after: open)..<close])
        }
        return nil
    }

    /// GitLab's own words from an error body: `message` (text, or `{"base": [...]}`), `error`
    /// with `error_description`.
    static func message(_ body: String) -> String? {
        guard let json = try? JSONValue.parse(body) else { return nil }
        if let text = json["message"]?.stringValue { return text }
        if let base = json["message"]?["base"]?.arrayValue { return base.compactMap(\.stringValue).joined(separator: "; ") }
        if let object = json["message"]?.objectValue {
            return object.map { key, value in "\(key) \(value.arrayValue?.compactMap(\.stringValue).joined(separator: ", ") ?? value.serialized())" }
                .joined(separator: "; ")
        }
        if let error = json["error"]?.stringValue {
            return error + (json["error_description"]?.stringValue.map { ": \($0)" } ?? "")
        }
        return nil
    }
}
