import Foundation
import Hummingbird
import TollgateJSON

/// A request's parameters, as Grape sees them: the query string, overridden by a JSON or
/// `x-www-form-urlencoded` body.
struct RepoParams: Sendable {
    var values: [String: JSONValue]
    /// The body was past the largest GitLab takes (the commits API's 300 MB).
    var tooLarge = false

    static let maximumBodyBytes = 300_000_000

    /// Reads the query and the body of `request`.
    static func of(_ request: Request) async -> RepoParams {
        var values: [String: JSONValue] = [:]
        for (key, value) in GitLabQuery.pairs(request.uri.query) { values[key] = .string(value) }
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard let buffer = try? await request.body.collect(upTo: Self.maximumBodyBytes), buffer.readableBytes > 0 else {
            return RepoParams(values: values, tooLarge: (request.headers[.contentLength].flatMap { Int($0) } ?? 0) > Self.maximumBodyBytes)
        }
        let bytes = Array(buffer.readableBytesView)
        if type.hasPrefix("application/x-www-form-urlencoded") {
            for (key, value) in GitLabQuery.pairs(String(decoding: bytes, as: UTF8.self)) { values[key] = .string(value) }
        } else if let object = (try? JSONValue.parse(bytes))?.objectValue {
            for (key, value) in object { values[key] = value }
        }
        return RepoParams(values: values)
    }

    /// A string parameter; numbers are given as their text, `null` as absent.
    func string(_ key: String) -> String? { Self.string(values[key]) }

    /// A boolean parameter (`true`/`false`, also as text or 1/0).
    func bool(_ key: String) -> Bool? { Self.bool(values[key]) }

    static func string(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text): text
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .bool(let flag): String(flag)
        default: nil
        }
    }

    static func bool(_ value: JSONValue?) -> Bool? {
        switch value {
        case .bool(let flag): flag
        case .int(let number): number != 0
        case .string(let text):
            switch text.lowercased() {
            case "true", "1", "yes": true
            case "false", "0", "no": false
            default: nil
            }
        default: nil
        }
    }

    /// Grape's answer for missing required parameters: `{"error":"branch is missing, content is missing"}`.
    func requireAll(_ keys: [String]) throws(RepoRefusal) {
        if tooLarge { throw RepoRefusal(status: .contentTooLarge, body: ["message": "413 Request Entity Too Large"]) }
        let missing = keys.filter { string($0) == nil }
        if !missing.isEmpty { throw .error(missing.map { "\($0) is missing" }.joined(separator: ", ")) }
    }

    /// The bytes of `content` under `encoding` (`text` by default; `base64` decoded leniently, as
    /// Ruby's `Base64.decode64` does), or a Grape error naming `field` for another encoding.
    static func content(_ content: String, encoding: String?, field: String) throws(RepoRefusal) -> [UInt8] {
        switch encoding ?? "text" {
        case "text": return Array(content.utf8)
        case "base64": return Array(Data(base64Encoded: content, options: .ignoreUnknownCharacters) ?? Data())
        default: throw .error("\(field) does not have a valid value")
        }
    }

    /// The `actions` of a commits request. Parameter errors are gathered over all actions first,
    /// as Grape does, so an invalid action name refuses the request before any action applies.
    func actions() throws(RepoRefusal) -> [FileAction] {
        guard let list = values["actions"]?.arrayValue else { throw .error("actions is missing") }
        if list.isEmpty { throw .error("actions is empty") }
        var errors: [String] = []
        for (index, item) in list.enumerated() {
            let prefix = "actions[\(index)]"
            switch Self.string(item["action"]) {
            case nil: errors.append("\(prefix)[action] is missing")
            case let name? where !["create", "update", "delete", "move", "chmod"].contains(name):
                errors.append("\(prefix)[action] does not have a valid value")
            default: break
            }
            if Self.string(item["file_path"]) == nil { errors.append("\(prefix)[file_path] is missing") }
            if let encoding = Self.string(item["encoding"]), !["text", "base64"].contains(encoding) {
                errors.append("\(prefix)[encoding] does not have a valid value")
            }
        }
        if !errors.isEmpty { throw .error(errors.joined(separator: ", ")) }
        return try list.enumerated().map { (index, item) throws(RepoRefusal) in try Self.action(item, field: "actions[\(index)]") }
    }

    private static func action(_ item: JSONValue, field: String) throws(RepoRefusal) -> FileAction {
        let path = string(item["file_path"]) ?? ""
        let encoding = string(item["encoding"])
        let content = try string(item["content"]).map { text throws(RepoRefusal) in
            try Self.content(text, encoding: encoding, field: "\(field)[encoding]")
        }
        let lastCommitId = string(item["last_commit_id"])
        let executable = bool(item["execute_filemode"])
        switch string(item["action"]) {
        case "create": return .create(path: path, content: content ?? [], executable: executable)
        case "update": return .update(path: path, content: content ?? [], lastCommitId: lastCommitId, executable: executable)
        case "delete": return .delete(path: path, lastCommitId: lastCommitId)
        case "move": return .move(from: string(item["previous_path"]), to: path, content: content, lastCommitId: lastCommitId)
        default: return .chmod(path: path, executable: executable ?? false)
        }
    }
}

/// Query strings as Rails reads them: `&`-separated pairs, `+` for space, percent-encoding.
enum GitLabQuery {
    static func pairs(_ query: String?) -> [(key: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
