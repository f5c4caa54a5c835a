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
            throw GitLabFailure(
                retryable: false, status: answer.status, message: Self.explain(status: answer.status, body: answer.body, what: what))
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

    static func explain(status: Int, body: String, what: String) -> String {
        let said = message(body)
        let quoted = said.map { " GitLab said: \($0)." } ?? ""
        switch status {
        case 401:
            return "GitLab refused the token when \(what) (401).\(quoted) Check executors.<name>.token: it may be wrong, expired or revoked."
        case 403 where said?.contains("not allowed to push") == true:
            return "GitLab refused \(what): the branch is protected.\(quoted) Use a branch the token's user may push to, or open a merge request."
        case 403 where said?.contains("insufficient_scope") == true:
            return "the GitLab token lacks the scope needed for \(what) (403).\(quoted) Give it the api scope."
        case 403:
            return "GitLab did not allow \(what) (403).\(quoted) The token's user needs at least the Developer role on the project."
        case 404:
            return "GitLab found nothing when \(what) (404).\(quoted) Check the project (id or full path) and that the token can see it"
                + "; with a trigger token, check the token itself."
        case 400 where said?.contains("Reference not found") == true:
            return "GitLab could not find the ref when \(what).\(quoted) Check the branch or tag (executors.<name>.ref or the task's ref)."
        case 400 where said?.contains("Insufficient permissions to set pipeline variables") == true:
            return "GitLab refused the pipeline variables when \(what).\(quoted) Allow pipeline variables for the token's role"
                + " (Settings > CI/CD > Variables: minimum role to use pipeline variables)."
        case 400 where said?.contains("already exists") == true:
            return "GitLab refused \(what): the file already exists.\(quoted) Update it instead, or delete it first."
        case 400 where said?.contains("changed since you started editing") == true:
            return "GitLab refused \(what): the file was changed by someone else since it was read.\(quoted) Read it again and retry."
        case 400 where said?.contains("doesn't exist") == true:
            return "GitLab refused \(what): there is no such file.\(quoted) (A folder is deleted file by file, in one commit.)"
        case 400 where said?.contains("rules configuration prevented any jobs") == true:
            return "the pipeline would run no job when \(what).\(quoted) The CI rules select no job for these variables and ref."
        default:
            return "GitLab answered \(status) when \(what).\(quoted)"
        }
    }

}

