import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import TollgateJSON

/// `/projects/:id/repository/files/:file_path`: read (base64 JSON or raw bytes), create, update
/// and delete, each write one commit.
extension FakeGitLabRepositories {
    func addFileRoutes(to api: RouterGroup<BasicRequestContext>) {
        api.get("projects/:project/repository/files/:file") { [self] request, context -> Response in
            if let refused = gate(request) { return refused }
            return read(request, context) { file, path, ref, head in
                GitLabAnswer.json(.ok, Self.fileJSON(file, path: path, ref: ref, head: head), headers: Self.fileHeaders(file, path: path, ref: ref, head: head))
            }
        }
        // What the file is, without its bytes: the same headers, and GitLab's statuses with no body.
        api.head("projects/:project/repository/files/:file") { [self] request, context -> Response in
            if let refused = gate(request) { return refused }
            let answer = read(request, context) { file, path, ref, head in
                Response(status: .ok, headers: Self.fileHeaders(file, path: path, ref: ref, head: head))
            }
            return Response(status: answer.status, headers: answer.status == .ok ? answer.headers : [:])
        }
        api.get("projects/:project/repository/files/:file/raw") { [self] request, context -> Response in
            if let refused = gate(request) { return refused }
            return read(request, context) { file, path, ref, head in
                var headers = Self.fileHeaders(file, path: path, ref: ref, head: head)
                headers[.contentType] = "text/plain; charset=utf-8"
                headers[.cacheControl] = "max-age=0, private, must-revalidate, no-store, no-cache"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.content)))
            }
        }
        api.post("projects/:project/repository/files/:file") { [self] request, context -> Response in
            if let refused = gate(request) { return refused }
            return await change(request, context, required: ["branch", "commit_message", "content"], status: .created) { path, params, content in
                .create(path: path, content: content ?? [], executable: params.bool("execute_filemode"))
            }
        }
        api.put("projects/:project/repository/files/:file") { [self] request, context -> Response in
            if let refused = gate(request) { return refused }
            return await change(request, context, required: ["branch", "commit_message", "content"], status: .ok) { path, params, content in
                .update(
                    path: path, content: content ?? [], lastCommitId: params.string("last_commit_id"),
                    executable: params.bool("execute_filemode"))
            }
        }
        api.delete("projects/:project/repository/files/:file") { [self] request, context -> Response in
            if let refused = gate(request) { return refused }
            return await change(request, context, required: ["branch", "commit_message"], status: .noContent) { path, params, _ in
                .delete(path: path, lastCommitId: params.string("last_commit_id"))
            }
        }
    }

    /// Finds the file a read names and answers with `answer(file, path, ref, head commit)`, or with
    /// GitLab's 404s and the 400 for a missing `ref`.
    private func read(
        _ request: Request, _ context: BasicRequestContext, answer: (RepoFile, String, String, String) -> Response
    ) -> Response {
        let key = Self.parameter("project", context) ?? ""
        let path = Self.parameter("file", context) ?? ""
        let ref = GitLabQuery.pairs(request.uri.query).last { $0.key == "ref" }?.value
        enum Outcome { case noProject, noRef, noCommit, noFile, found(RepoFile, head: String) }
        let outcome = state.withLock { state -> Outcome in
            guard let project = state.project(matching: key) else { return .noProject }
            guard let ref, !ref.isEmpty else { return .noRef }
            guard let branch = project.branchName(for: ref).flatMap({ project.branches[$0] }) else { return .noCommit }
            guard let file = branch.files[path] else { return .noFile }
            return .found(file, head: branch.head ?? "")
        }
        switch outcome {
        case .noProject: return GitLabAnswer.notFound("Project")
        case .noRef: return GitLabAnswer.refused(.error("ref is missing"))
        case .noCommit: return GitLabAnswer.notFound("Commit")
        case .noFile: return GitLabAnswer.notFound("File")
        case .found(let file, let head): return answer(file, path, ref ?? "", head)
        }
    }

    /// Checks a write's parameters, builds its action and commits it; answers `{"file_path","branch"}`
    /// (nothing for 204).
    private func change(
        _ request: Request, _ context: BasicRequestContext, required: [String], status: HTTPResponse.Status,
        action: (String, RepoParams, [UInt8]?) -> FileAction
    ) async -> Response {
        guard let project = project(context) else { return GitLabAnswer.notFound("Project") }
        let path = Self.parameter("file", context) ?? ""
        let params = await RepoParams.of(request)
        do throws(RepoRefusal) {
            try params.requireAll(required)
            let content = try params.string("content").map { text throws(RepoRefusal) in
                try RepoParams.content(text, encoding: params.string("encoding"), field: "encoding")
            }
            let branch = params.string("branch") ?? ""
            _ = try write(
                project: project, branch: branch, startBranch: params.string("start_branch"), message: params.string("commit_message") ?? "",
                actions: [action(path, params, content)])
            if status == .noContent { return Response(status: .noContent) }
            return GitLabAnswer.json(status, ["file_path": .string(path), "branch": .string(branch)])
        } catch {
            return GitLabAnswer.refused(error)
        }
    }

    /// The `X-Gitlab-*` headers GitLab sets on every read of a file (the file name as raw UTF-8).
    static func fileHeaders(_ file: RepoFile, path: String, ref: String, head: String) -> HTTPFields {
        var fields = HTTPFields()
        let values: [(String, String)] = [
            ("X-Gitlab-File-Name", path.split(separator: "/").last.map(String.init) ?? path), ("X-Gitlab-File-Path", path),
            ("X-Gitlab-Size", String(file.content.count)), ("X-Gitlab-Encoding", "base64"),
            ("X-Gitlab-Content-Sha256", RepoIds.sha256(file.content)), ("X-Gitlab-Ref", ref), ("X-Gitlab-Blob-Id", file.blobId),
            ("X-Gitlab-Commit-Id", head), ("X-Gitlab-Last-Commit-Id", file.lastCommitId), ("X-Gitlab-Execute-Filemode", file.executable ? "true" : "false"),
        ]
        for (name, value) in values {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return fields
    }

    static func fileJSON(_ file: RepoFile, path: String, ref: String, head: String) -> JSONValue {
        [
            "file_name": .string(path.split(separator: "/").last.map(String.init) ?? path), "file_path": .string(path),
            "size": .int(Int64(file.content.count)), "encoding": "base64", "content": .string(Data(file.content).base64EncodedString()),
            "content_sha256": .string(RepoIds.sha256(file.content)), "ref": .string(ref), "blob_id": .string(file.blobId),
            "commit_id": .string(head), "last_commit_id": .string(file.lastCommitId), "execute_filemode": .bool(file.executable),
        ]
    }
}
