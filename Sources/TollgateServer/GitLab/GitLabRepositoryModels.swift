import Foundation
import NIOHTTP1
import TollgateJSON

/// A GitLab project as discovery lists it.
public struct GitLabProject: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var path: String
    public var pathWithNamespace: String
    public var defaultBranch: String?
    public var webURL: String?

    init?(_ json: JSONValue) {
        guard let id = json["id"]?.intValue, let path = json["path"]?.stringValue else { return nil }
        self.id = id
        self.path = path
        name = json["name"]?.stringValue ?? path
        pathWithNamespace = json["path_with_namespace"]?.stringValue ?? path
        defaultBranch = json["default_branch"]?.stringValue
        webURL = json["web_url"]?.stringValue
    }
}

/// An entry of a repository tree.
public struct GitLabTreeEntry: Sendable, Equatable {
    public var path: String
    public var name: String
    /// A folder (`tree`) rather than a file (`blob`).
    public var isFolder: Bool
}

/// A file read from a repository: its bytes, and the commit that last changed it.
public struct GitLabFile: Sendable, Equatable {
    public var path: String
    public var bytes: [UInt8]
    public var lastCommitId: String?
    public var blobId: String?

    /// The content as UTF-8 text (invalid sequences become U+FFFD; never read as Latin-1).
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// A commit GitLab made.
public struct GitLabCommit: Sendable, Equatable {
    public var id: String
    public var webURL: String?
    public var title: String?
    /// The whole message (lists give it; a commit's own answer too).
    public var message: String?

    init(id: String, webURL: String?, title: String?, message: String? = nil) {
        self.id = id
        self.webURL = webURL
        self.title = title
        self.message = message
    }

    init?(_ json: JSONValue) {
        guard let id = json["id"]?.stringValue else { return nil }
        self.init(id: id, webURL: json["web_url"]?.stringValue, title: json["title"]?.stringValue, message: json["message"]?.stringValue)
    }
}

/// One change of a multi-file commit.
public enum GitLabCommitAction: Sendable, Equatable {
    case create(path: String, content: [UInt8])
    /// `lastCommitId`: refuse the commit if someone changed the file since it was read.
    case update(path: String, content: [UInt8], lastCommitId: String? = nil)
    case delete(path: String, lastCommitId: String? = nil)
    case move(from: String, to: String, content: [UInt8]? = nil)
    case chmod(path: String, executable: Bool)

    /// The action as the commits API takes it (content always base64, so any bytes survive).
    var json: JSONValue {
        func base64(_ bytes: [UInt8]) -> JSONValue { .string(Data(bytes).base64EncodedString()) }
        switch self {
        case .create(let path, let content):
            return ["action": "create", "file_path": .string(path), "content": base64(content), "encoding": "base64"]
        case .update(let path, let content, let last):
            var o: JSONObject = ["action": "update", "file_path": .string(path), "content": base64(content), "encoding": "base64"]
            if let last { o["last_commit_id"] = .string(last) }
            return .object(o)
        case .delete(let path, let last):
            var o: JSONObject = ["action": "delete", "file_path": .string(path)]
            if let last { o["last_commit_id"] = .string(last) }
            return .object(o)
        case .move(let from, let to, let content):
            var o: JSONObject = ["action": "move", "file_path": .string(to), "previous_path": .string(from)]
            if let content {
                o["content"] = base64(content)
                o["encoding"] = "base64"
            }
            return .object(o)
        case .chmod(let path, let executable):
            return ["action": "chmod", "file_path": .string(path), "execute_filemode": .bool(executable)]
        }
    }

    /// The path the action writes.
    public var path: String {
        switch self {
        case .create(let path, _), .update(let path, _, _), .delete(let path, _), .chmod(let path, _): path
        case .move(_, let to, _): to
        }
    }
}

/// What GitLab says of a file without its bytes (its `X-Gitlab-*` headers). Fields GitLab did
/// not send are nil.
public struct GitLabFileInfo: Sendable, Equatable {
    public var path: String
    public var size: Int?
    public var blobId: String?
    /// The commit the ref pointed to when read.
    public var commitId: String?
    /// The last commit that changed the file.
    public var lastCommitId: String?
    /// The hex SHA-256 of the content.
    public var contentSHA256: String?

    init(path: String, headers: HTTPHeaders) {
        self.path = path
        size = headers.first(name: "X-Gitlab-Size").flatMap { Int($0) }
        blobId = headers.first(name: "X-Gitlab-Blob-Id")
        commitId = headers.first(name: "X-Gitlab-Commit-Id")
        lastCommitId = headers.first(name: "X-Gitlab-Last-Commit-Id")
        contentSHA256 = headers.first(name: "X-Gitlab-Content-Sha256")?.lowercased()
    }
}
