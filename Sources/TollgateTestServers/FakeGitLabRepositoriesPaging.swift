import Foundation
import HTTPTypes
import Hummingbird
import TollgateJSON

/// GitLab's two ways of paging a list, with the headers clients follow.
enum GitLabPaging {
    /// The page size asked for (`per_page`, default 20), at most `maxPerPage`.
    static func perPage(_ request: Request, maxPerPage: Int) -> Int {
        let asked = GitLabQuery.pairs(request.uri.query).last { $0.key == "per_page" }.flatMap { Int($0.value) } ?? 20
        return max(1, min(asked, maxPerPage))
    }

    /// Offset paging: `page`/`per_page`, the `X-*` totals and a `Link` with prev, next, first and last.
    static func offset(_ items: [JSONValue], request: Request, base: String, maxPerPage: Int) -> Response {
        let perPage = perPage(request, maxPerPage: maxPerPage)
        let page = max(1, GitLabQuery.pairs(request.uri.query).last { $0.key == "page" }.flatMap { Int($0.value) } ?? 1)
        let pages = max(1, (items.count + perPage - 1) / perPage)
        let slice = Array(items.dropFirst((page - 1) * perPage).prefix(perPage))
        var headers: HTTPFields = [:]
        headers[GitLabHeader.page] = String(page)
        headers[GitLabHeader.perPage] = String(perPage)
        headers[GitLabHeader.total] = String(items.count)
        headers[GitLabHeader.totalPages] = String(pages)
        headers[GitLabHeader.nextPage] = page < pages ? String(page + 1) : ""
        headers[GitLabHeader.prevPage] = page > 1 ? String(page - 1) : ""
        func link(_ target: Int) -> String { url(request, base: base, replacing: "page", with: String(target)) }
        var links: [String] = []
        if page > 1 { links.append("<\(link(page - 1))>; rel=\"prev\"") }
        if page < pages { links.append("<\(link(page + 1))>; rel=\"next\"") }
        links.append("<\(link(1))>; rel=\"first\"")
        links.append("<\(link(pages))>; rel=\"last\"")
        headers[GitLabHeader.link] = links.joined(separator: ", ")
        return GitLabAnswer.json(.ok, .array(slice), headers: headers)
    }

    /// Keyset paging of a repository tree: the page after the entry named by `page_token` (base64
    /// of `{"file_name":"<path>"}`), and only a `Link: <…>; rel="next"` while entries remain.
    static func keyset(_ items: [JSONValue], request: Request, base: String, maxPerPage: Int) -> Response {
        let perPage = perPage(request, maxPerPage: maxPerPage)
        var start = 0
        if let token = GitLabQuery.pairs(request.uri.query).last(where: { $0.key == "page_token" })?.value, !token.isEmpty {
            guard let after = cursor(token), let index = items.firstIndex(where: { $0["path"]?.stringValue == after }) else {
                return GitLabAnswer.json(.badRequest, ["error": "page_token is invalid"])
            }
            start = index + 1
        }
        let slice = Array(items.dropFirst(start).prefix(perPage))
        var headers: HTTPFields = [:]
        if start + slice.count < items.count, let last = slice.last?["path"]?.stringValue {
            let token = Data(JSONValue.object(["file_name": .string(last)]).serializedBytes()).base64EncodedString()
            headers[GitLabHeader.link] = "<\(url(request, base: base, replacing: "page_token", with: token))>; rel=\"next\""
        }
        return GitLabAnswer.json(.ok, .array(slice), headers: headers)
    }

    /// The path a keyset cursor names.
    static func cursor(_ token: String) -> String? {
        guard let data = Data(base64Encoded: token) else { return nil }
        return (try? JSONValue.parse(Array(data)))?["file_name"]?.stringValue
    }

    /// The absolute URL of this request with one query parameter set (the others kept as sent).
    static func url(_ request: Request, base: String, replacing key: String, with value: String) -> String {
        var pairs = (request.uri.query ?? "").split(separator: "&").filter { GitLabQuery.decode($0.prefix { $0 != "=" }) != key }.map(String.init)
        pairs.append("\(key)=\(GitLabQuery.encode(value))")
        return "\(base)\(request.uri.path)?\(pairs.joined(separator: "&"))"
    }
}

/// The header names of GitLab's answers.
enum GitLabHeader {
    static let page = name("X-Page")
    static let perPage = name("X-Per-Page")
    static let total = name("X-Total")
    static let totalPages = name("X-Total-Pages")
    static let nextPage = name("X-Next-Page")
    static let prevPage = name("X-Prev-Page")
    static let link = name("Link")
    static let privateToken = name("PRIVATE-TOKEN")
    static let rateLimitName = name("RateLimit-Name")
    static let rateLimitLimit = name("RateLimit-Limit")
    static let rateLimitObserved = name("RateLimit-Observed")
    static let rateLimitRemaining = name("RateLimit-Remaining")
    static let rateLimitReset = name("RateLimit-Reset")
    static let rateLimitResetTime = name("RateLimit-ResetTime")

    private static func name(_ text: String) -> HTTPField.Name {
        HTTPField.Name(text) ?? .contentType
    }
}
