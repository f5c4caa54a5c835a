import Foundation
public import NIOCore
import NIOHTTP1
import TollgateJSON

/// Files of a repository, of any size GitLab holds (up to 100 MB): read through the raw-file
/// endpoint piece by piece, written from memory or streamed from disk, described without their
/// bytes by the files endpoint's `HEAD`.
extension GitLabRepository {
    /// The largest file `file(project:path:ref:)` reads into memory; larger ones are read with
    /// `download(project:path:ref:_:)`.
    public static let maximumFileInMemory = 100 << 20

    private static func filePath(_ project: String, _ path: String) -> String {
        "/projects/\(encoded(project))/repository/files/\(encoded(path))"
    }

    /// What GitLab says of a file (size, blob, last commit, SHA-256) without its bytes; nil when
    /// GitLab finds no such file at `ref` (a `HEAD` answer has no body to tell a missing project
    /// from a missing file: a later write names which).
    public func fileInfo(project: String, path: String, ref: String) async throws(GitLabFailure) -> GitLabFileInfo? {
        do {
            let answer = try await api.send(
                .HEAD, "\(Self.filePath(project, path))?\(GitLabAPI.query([("ref", ref)]))", what: "reading what \(path) of \(project) is at \(ref)")
            return GitLabFileInfo(path: path, headers: answer.headers)
        } catch where error.status == 404 {
            return nil
        }
    }

    /// Hands the bytes of a file to `receive` as they arrive and answers what GitLab says of it;
    /// nil when there is no such file.
    public func download(
        project: String, path: String, ref: String, _ receive: @escaping (ByteBuffer) async throws -> Void
    ) async throws(GitLabFailure) -> GitLabFileInfo? {
        do {
            let headers = try await api.receive(
                "\(Self.filePath(project, path))/raw?\(GitLabAPI.query([("ref", ref)]))", what: "reading \(path) of \(project) at \(ref)", receive)
            return GitLabFileInfo(path: path, headers: headers)
        } catch where error.status == 404 && error.message.contains("File Not Found") {
            return nil
        }
    }

    /// A file's bytes and last commit, read into memory (up to `maximumFileInMemory`); nil when
    /// there is no such file.
    public func file(project: String, path: String, ref: String) async throws(GitLabFailure) -> GitLabFile? {
        let collected = ReceivedBytes(upTo: Self.maximumFileInMemory)
        guard let info = try await download(project: project, path: path, ref: ref, { try collected.append($0) }) else { return nil }
        return GitLabFile(path: path, bytes: collected.bytes, lastCommitId: info.lastCommitId, blobId: info.blobId)
    }

    /// Creates a file (one commit); refused when it exists.
    public func createFile(project: String, branch: String, path: String, content: GitLabContent, message: String) async throws(GitLabFailure) {
        let fields: JSONObject = ["branch": .string(branch), "commit_message": .string(message), "encoding": "base64"]
        _ = try await api.send(
            .POST, Self.filePath(project, path), payload: try content.jsonBody(fields), what: "creating \(path) in \(project) on \(branch)")
    }

    /// Replaces a file (one commit); with `lastCommitId`, refused when someone changed it since.
    public func updateFile(
        project: String, branch: String, path: String, content: GitLabContent, lastCommitId: String?, message: String
    ) async throws(GitLabFailure) {
        var fields: JSONObject = ["branch": .string(branch), "commit_message": .string(message), "encoding": "base64"]
        if let lastCommitId { fields["last_commit_id"] = .string(lastCommitId) }
        _ = try await api.send(
            .PUT, Self.filePath(project, path), payload: try content.jsonBody(fields), what: "updating \(path) in \(project) on \(branch)")
    }
}
