import AsyncHTTPClient
import Foundation
import NIOCore
import Hummingbird
import NIOHTTP1
import Testing
import TollgateJSON
import TollgateTestServers

/// The repository fake checked over loopback with plain HTTP requests, so that it is known to
/// speak GitLab's wire format before product code is tested against it.
@Suite("GitLab repositories fake", .serialized)
struct FakeGitLabRepositoriesTests {
    static let token = "glpat-good-token"

    /// An answer as a client sees it.
    struct Answer {
        var status: UInt
        var headers: HTTPHeaders
        var body: [UInt8]

        var json: JSONValue? { try? JSONValue.parse(body) }
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first(name: name) }

        /// The URL of `Link: <…>; rel="<rel>"`.
        func link(_ rel: String) -> String? {
            guard let link = header("Link") else { return nil }
            for part in link.split(separator: ",") where part.contains("rel=\"\(rel)\"") {
                guard let open = part.firstIndex(of: "<"), let close = part.firstIndex(of: ">") else { continue }
                return String(part[part.index(after: open)..<close])
            }
            return nil
        }
    }

    final class Rig: Sendable {
        let gitlab = FakeGitLabRepositories()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)

        func start() async throws {
            gitlab.addGroup(id: 3, path: "DTaaS", name: "DTaaS")
            gitlab.addProject(id: 7, group: 3, path: "user1")
            try await gitlab.start(client: client)
        }

        func stop() {
            gitlab.stop()
            Task { try? await client.shutdown() }
        }

        /// Sends a request to `path` under `/api/v4` (or to an absolute URL).
        func send(
            _ method: HTTPMethod = .GET, _ path: String, json: JSONValue? = nil, headers: [(String, String)] = [("PRIVATE-TOKEN", token)]
        ) async throws -> Answer {
            var request = HTTPClientRequest(url: path.hasPrefix("http") ? path : "\(gitlab.address)/api/v4\(path)")
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let json {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: json.serializedBytes()))
            }
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            return Answer(status: response.status.code, headers: response.headers, body: Array(body.readableBytesView))
        }
    }

    /// Percent-encodes a path segment as gitbeaker's `encodeURIComponent` does (`/` becomes `%2F`).
    static func encoded(_ text: String) -> String {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    static func decodedBase64(_ value: JSONValue?) -> [UInt8]? {
        value?.stringValue.flatMap { Data(base64Encoded: $0) }.map { Array($0) }
    }

    @Test func unicodeContentAndPathsRoundTripThroughBase64() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        let path = "digital_twins/Café/README.md"
        rig.gitlab.setFile(project: 7, path: path, content: Array("Zürich ✓\n".utf8))

        let answer = try await rig.send(.GET, "/projects/7/repository/files/\(Self.encoded(path))?ref=main")
        #expect(answer.status == 200)
        let file = try #require(answer.json)
        #expect(file["file_path"]?.stringValue == path)
        #expect(file["file_name"]?.stringValue == "README.md")
        #expect(file["encoding"]?.stringValue == "base64")
        #expect(Self.decodedBase64(file["content"]).map { String(decoding: $0, as: UTF8.self) } == "Zürich ✓\n")
        #expect(file["size"]?.intValue == Int64("Zürich ✓\n".utf8.count))
        #expect(file["last_commit_id"]?.stringValue == rig.gitlab.lastCommitId(project: 7, path: path))
        #expect(file["content_sha256"]?.stringValue?.count == 64)

        let raw = try await rig.send(.GET, "/projects/dtaas%2Fuser1/repository/files/\(Self.encoded(path))/raw?ref=main")
        #expect(raw.status == 200)
        #expect(raw.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(raw.text == "Zürich ✓\n")
        #expect(raw.header("X-Gitlab-Last-Commit-Id") == file["last_commit_id"]?.stringValue, "the raw read says which commit it is")
        #expect(raw.header("X-Gitlab-Content-Sha256") == file["content_sha256"]?.stringValue)
        let head = try await rig.send(.HEAD, "/projects/dtaas%2Fuser1/repository/files/\(Self.encoded(path))?ref=main")
        #expect(head.status == 200 && head.text.isEmpty)
        #expect(head.header("X-Gitlab-Blob-Id") == file["blob_id"]?.stringValue)
        #expect(head.header("X-Gitlab-Size") == "\("Zürich ✓\n".utf8.count)")
        #expect(head.header("X-Gitlab-File-Path") == path, "non-ASCII header values go as raw UTF-8, as GitLab sends them")
        #expect(try await rig.send(.HEAD, "/projects/dtaas%2Fuser1/repository/files/nope.md?ref=main").status == 404)

        let created = try await rig.send(
            .POST, "/projects/7/repository/files/\(Self.encoded("digital_twins/Café/größe.txt"))",
            json: ["branch": "main", "commit_message": "Add größe", "content": "Grüße ✓"])
        #expect(created.status == 201)
        #expect(created.json == ["file_path": "digital_twins/Café/größe.txt", "branch": "main"])
        let binary: [UInt8] = [0, 0xFF, 0xC3, 0x28]
        let uploaded = try await rig.send(
            .POST, "/projects/7/repository/files/bin%2Fblob",
            json: ["branch": "main", "commit_message": "Add blob", "content": .string(Data(binary).base64EncodedString()), "encoding": "base64"])
        #expect(uploaded.status == 201)
        let files = rig.gitlab.files(project: 7)
        #expect(files["digital_twins/Café/größe.txt"] == Array("Grüße ✓".utf8))
        #expect(files["bin/blob"] == binary)
        #expect(rig.gitlab.commits(project: 7).map(\.message) == ["Add \(path)", "Add größe", "Add blob"])
    }

    @Test func readErrorsAnswerAsGitLabDoes() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        rig.gitlab.setFile(project: 7, path: "digital_twins/hello/README.md", content: Array("hi".utf8))
        let file = "/projects/7/repository/files/digital_twins%2Fhello%2FREADME.md"

        let noRef = try await rig.send(.GET, file)
        #expect(noRef.status == 400)
        #expect(noRef.json == ["error": "ref is missing"])
        let badRef = try await rig.send(.GET, "\(file)?ref=nope")
        #expect(badRef.status == 404)
        #expect(badRef.json == ["message": "404 Commit Not Found"])
        let missing = try await rig.send(.GET, "/projects/7/repository/files/nothing.md?ref=main")
        #expect(missing.json == ["message": "404 File Not Found"])
        let noProject = try await rig.send(.GET, "/projects/99")
        #expect(noProject.status == 404)
        #expect(noProject.json == ["message": "404 Project Not Found"])
        let noGroup = try await rig.send(.GET, "/groups/nope")
        #expect(noGroup.json == ["message": "404 Group Not Found"])

        let group = try await rig.send(.GET, "/groups/dtaas")
        #expect(group.json?["id"]?.intValue == 3)
        #expect(group.json?["full_path"]?.stringValue == "DTaaS")
        let project = try await rig.send(.GET, "/projects/DTAAS%2FUSER1")
        #expect(project.json?["id"]?.intValue == 7)
        #expect(project.json?["path_with_namespace"]?.stringValue == "DTaaS/user1")
        #expect(project.json?["namespace"]?["full_path"]?.stringValue == "DTaaS")
    }

    @Test func groupProjectsArePagedWithLinkHeaders() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        for id in 10..<14 { rig.gitlab.addProject(id: Int64(id), group: 3, path: "p\(id)") }
        rig.gitlab.maxPerPage(2)

        var url: String? = "/groups/dtaas/projects?per_page=100"
        var pages: [Answer] = []
        while let next = url, pages.count < 10 {
            let page = try await rig.send(.GET, next)
            #expect(page.status == 200)
            pages.append(page)
            url = page.link("next")
        }
        #expect(pages.count == 3)
        #expect(pages.map { $0.header("X-Page") } == ["1", "2", "3"])
        #expect(pages.allSatisfy { $0.header("X-Total") == "5" && $0.header("X-Total-Pages") == "3" && $0.header("X-Per-Page") == "2" })
        #expect(pages.map { $0.link("next") != nil } == [true, true, false])
        #expect(pages.map { $0.header("X-Next-Page") } == ["2", "3", ""])
        #expect(pages[0].link("last")?.hasPrefix(rig.gitlab.address) == true)
        let ids = pages.flatMap { $0.json?.arrayValue ?? [] }.compactMap { $0["id"]?.intValue }
        #expect(Set(ids) == [7, 10, 11, 12, 13])
        #expect(ids.count == 5)
    }

    @Test func treesListFoldersFirstAndPageWithKeysetTokens() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        for path in ["README.md", ".gitlab-ci.yml", "digital_twins/hello/README.md", "digital_twins/hello/lifecycle/create", "digital_twins/Café/README.md"] {
            rig.gitlab.setFile(project: 7, path: path, content: Array(path.utf8), executable: path.hasSuffix("create"))
        }
        let root = try await rig.send(.GET, "/projects/7/repository/tree?ref=main")
        #expect(root.json?.arrayValue?.compactMap { $0["path"]?.stringValue } == ["digital_twins", ".gitlab-ci.yml", "README.md"])
        #expect(root.json?.arrayValue?.compactMap { $0["type"]?.stringValue } == ["tree", "blob", "blob"])
        let twins = try await rig.send(.GET, "/projects/7/repository/tree?path=digital_twins&ref=main")
        #expect(twins.json?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Café", "hello"])

        var url: String? = "/projects/7/repository/tree?path=digital_twins&recursive=true&ref=main&pagination=keyset&per_page=2"
        var paths: [String] = []
        var modes: [String: String] = [:]
        var pages = 0
        while let next = url, pages < 10 {
            let page = try await rig.send(.GET, next)
            #expect(page.status == 200)
            #expect(page.header("X-Total") == nil)
            #expect(page.header("X-Total-Pages") == nil)
            let entries = page.json?.arrayValue ?? []
            for entry in entries {
                guard let path = entry["path"]?.stringValue else { continue }
                paths.append(path)
                modes[path] = entry["mode"]?.stringValue
            }
            url = page.link("next")
            if let url, let token = url.split(separator: "page_token=").last?.removingPercentEncoding {
                let cursor = Data(base64Encoded: token).flatMap { try? JSONValue.parse(Array($0)) }
                #expect(cursor?["file_name"]?.stringValue == paths.last)
            }
            pages += 1
        }
        #expect(pages == 3)
        #expect(
            paths == [
                "digital_twins/Café", "digital_twins/hello", "digital_twins/hello/lifecycle",
                "digital_twins/Café/README.md", "digital_twins/hello/README.md", "digital_twins/hello/lifecycle/create",
            ])
        #expect(modes["digital_twins/hello/lifecycle"] == "040000")
        #expect(modes["digital_twins/hello/lifecycle/create"] == "100755")
        #expect(modes["digital_twins/hello/README.md"] == "100644")

        let missing = try await rig.send(.GET, "/projects/7/repository/tree?path=nowhere&ref=main")
        #expect(missing.status == 404)
        #expect(missing.json == ["message": "404 Tree Not Found"])
        let badRef = try await rig.send(.GET, "/projects/7/repository/tree?ref=nope")
        #expect(badRef.json == ["message": "404 Tree Not Found"])
    }

    @Test func aCommitWhoseSecondActionFailsChangesNothing() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        rig.gitlab.setFile(project: 7, path: ".gitlab-ci.yml", content: Array("stages: [triggers]\n".utf8))
        rig.gitlab.setFile(project: 7, path: "digital_twins/hello/README.md", content: Array("hello".utf8))
        let filesBefore = rig.gitlab.files(project: 7)
        let commitsBefore = rig.gitlab.commits(project: 7).map(\.id)

        let clash = try await rig.send(
            .POST, "/projects/7/repository/commits",
            json: [
                "branch": "main", "commit_message": "Create hello digital twin",
                "actions": [
                    ["action": "update", "file_path": ".gitlab-ci.yml", "content": "stages: [triggers]\ntrigger_hello: {}\n"],
                    ["action": "create", "file_path": "digital_twins/hello/README.md", "content": "again"],
                ],
            ])
        #expect(clash.status == 400)
        #expect(clash.json == ["message": "A file with this name already exists"])
        #expect(rig.gitlab.files(project: 7) == filesBefore)
        #expect(rig.gitlab.commits(project: 7).map(\.id) == commitsBefore)

        let invalid = try await rig.send(
            .POST, "/projects/7/repository/commits",
            json: [
                "branch": "main", "commit_message": "x",
                "actions": [["action": "create", "file_path": "a", "content": "a"], ["action": "rename", "file_path": "b"]],
            ])
        #expect(invalid.status == 400)
        #expect(invalid.json == ["error": "actions[1][action] does not have a valid value"])
        #expect(rig.gitlab.files(project: 7) == filesBefore)

        let good = try await rig.send(
            .POST, "/projects/7/repository/commits",
            json: [
                "branch": "main", "commit_message": "Create world digital twin\n\nWith lifecycle.",
                "actions": [
                    ["action": "create", "file_path": "digital_twins/world/lifecycle/create", "content": "#!/bin/sh\n", "execute_filemode": true],
                    ["action": "update", "file_path": ".gitlab-ci.yml", "content": "stages: [triggers]\ntrigger_world: {}\n"],
                    ["action": "move", "previous_path": "digital_twins/hello/README.md", "file_path": "digital_twins/world/README.md"],
                ],
            ])
        #expect(good.status == 201)
        let commit = try #require(good.json)
        let id = try #require(commit["id"]?.stringValue)
        #expect(id.count == 40 && id.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(commit["short_id"]?.stringValue == String(id.prefix(8)))
        #expect(commit["title"]?.stringValue == "Create world digital twin")
        #expect(commit["parent_ids"] == .array(commitsBefore.suffix(1).map { .string($0) }))
        #expect(commit["stats"]?["additions"]?.intValue == 2)
        #expect(commit["status"] == .null)
        let files = rig.gitlab.files(project: 7)
        #expect(files["digital_twins/hello/README.md"] == nil)
        #expect(files["digital_twins/world/README.md"] == Array("hello".utf8))
        #expect(rig.gitlab.commits(project: 7).last.map { [$0.id, $0.message, String($0.actions)] } == [id, "Create world digital twin\n\nWith lifecycle.", "3"])
        #expect(rig.gitlab.lastCommitId(project: 7, path: "digital_twins/world/README.md") == id)

        let folder = try await rig.send(.DELETE, "/projects/7/repository/files/digital_twins%2Fworld?branch=main&commit_message=Remove")
        #expect(folder.status == 400)
        #expect(folder.json == ["message": "A file with this name doesn't exist"])
    }

    @Test func aStaleLastCommitIdIsRefused() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        rig.gitlab.setFile(project: 7, path: "README.md", content: Array("one".utf8))
        let first = try #require(rig.gitlab.lastCommitId(project: 7, path: "README.md"))

        let update = try await rig.send(
            .PUT, "/projects/7/repository/files/README.md", json: ["branch": "main", "commit_message": "two", "content": "two", "last_commit_id": .string(first)])
        #expect(update.status == 200)
        #expect(rig.gitlab.lastCommitId(project: 7, path: "README.md") != first)

        let stale = try await rig.send(
            .PUT, "/projects/7/repository/files/README.md", json: ["branch": "main", "commit_message": "three", "content": "three", "last_commit_id": .string(first)])
        #expect(stale.status == 400)
        #expect(stale.json == ["message": "You are attempting to update a file that has changed since you started editing it."])
        let staleCommit = try await rig.send(
            .POST, "/projects/7/repository/commits",
            json: ["branch": "main", "commit_message": "x", "actions": [["action": "delete", "file_path": "README.md", "last_commit_id": .string(first)]]])
        #expect(staleCommit.status == 400)
        #expect(rig.gitlab.files(project: 7)["README.md"] == Array("two".utf8))
        #expect(rig.gitlab.commits(project: 7).count == 2)

        let missingParams = try await rig.send(.PUT, "/projects/7/repository/files/README.md", json: ["branch": "main"])
        #expect(missingParams.json == ["error": "commit_message is missing, content is missing"])
        let noBranch = try await rig.send(.PUT, "/projects/7/repository/files/README.md", json: ["branch": "dev", "commit_message": "x", "content": "x"])
        #expect(noBranch.json == ["message": "You can only create or edit files when you are on a branch"])
        let deleted = try await rig.send(.DELETE, "/projects/7/repository/files/README.md?branch=main&commit_message=Remove+it")
        #expect(deleted.status == 204)
        #expect(rig.gitlab.commits(project: 7).last?.message == "Remove it")
        let again = try await rig.send(.DELETE, "/projects/7/repository/files/README.md?branch=main&commit_message=Remove")
        #expect(again.json == ["message": "A file with this name doesn't exist"])
    }

    @Test func aProtectedBranchRefusesPushes() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        rig.gitlab.setFile(project: 7, path: "README.md", content: Array("one".utf8))
        rig.gitlab.addBranch(project: 7, branch: "release", protected: true)
        rig.gitlab.protect(project: 7, branch: "main")

        let forbidden: JSONValue = ["message": "403 Forbidden - You are not allowed to push into this branch"]
        let put = try await rig.send(.PUT, "/projects/7/repository/files/README.md", json: ["branch": "main", "commit_message": "x", "content": "two"])
        #expect(put.status == 403)
        #expect(put.json == forbidden)
        let commit = try await rig.send(
            .POST, "/projects/7/repository/commits",
            json: ["branch": "release", "commit_message": "x", "actions": [["action": "create", "file_path": "new", "content": "x"]]])
        #expect(commit.status == 403)
        #expect(commit.json == forbidden)
        #expect(rig.gitlab.files(project: 7) == ["README.md": Array("one".utf8)])
        #expect(rig.gitlab.files(project: 7, branch: "release") == ["README.md": Array("one".utf8)])

        let branched = try await rig.send(
            .POST, "/projects/7/repository/commits",
            json: ["branch": "feature", "start_branch": "main", "commit_message": "x", "actions": [["action": "create", "file_path": "new", "content": "x"]]])
        #expect(branched.status == 201)
        #expect(rig.gitlab.files(project: 7, branch: "feature").keys.sorted() == ["README.md", "new"])
    }

    @Test func requestsWithoutTheTokenAreRefused() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        let none = try await rig.send(.GET, "/projects/7", headers: [])
        #expect(none.status == 401)
        #expect(none.json == ["message": "401 Unauthorized"])
        let wrong = try await rig.send(.GET, "/projects/7", headers: [("PRIVATE-TOKEN", "glpat-bad")])
        #expect(wrong.status == 401)
        let bearer = try await rig.send(.GET, "/projects/7", headers: [("Authorization", "Bearer \(Self.token)")])
        #expect(bearer.status == 200)
        let written = try await rig.send(
            .POST, "/projects/7/repository/files/x", json: ["branch": "main", "commit_message": "x", "content": "x"], headers: [])
        #expect(written.status == 401)
        #expect(rig.gitlab.files(project: 7).isEmpty)
        #expect(rig.gitlab.requests.suffix(4) == ["GET /api/v4/projects/7", "GET /api/v4/projects/7", "GET /api/v4/projects/7", "POST /api/v4/projects/7/repository/files/x"])
    }

    @Test func routesMountBesideThePipelineRoutesOfAnotherFake() async throws {
        let gitlab = FakeGitLabRepositories()
        gitlab.addGroup(id: 3, path: "dtaas")
        gitlab.addProject(id: 7, group: 3, path: "user1")
        gitlab.setFile(project: 7, path: "README.md", content: Array("shared".utf8))
        let server = LoopbackServer()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let router = Router()
        router.group("api/v4/projects/:project").get("pipelines") { _, context -> String in
            "pipelines of \(context.parameters.get("project") ?? "")"
        }
        gitlab.addRoutes(to: router, base: { server.address })
        try await server.start(router, client: client)
        defer {
            server.stop()
            Task { try? await client.shutdown() }
        }
        func get(_ path: String) async throws -> (status: UInt, body: String) {
            var request = HTTPClientRequest(url: "\(server.address)/api/v4\(path)")
            request.headers.add(name: "PRIVATE-TOKEN", value: Self.token)
            let response = try await client.execute(request, timeout: .seconds(10))
            return (response.status.code, String(buffer: try await response.body.collect(upTo: 1 << 20)))
        }
        let pipelines = try await get("/projects/7/pipelines")
        #expect(pipelines.status == 200)
        #expect(pipelines.body == "pipelines of 7")
        let raw = try await get("/projects/7/repository/files/README.md/raw?ref=main")
        #expect(raw.status == 200)
        #expect(raw.body == "shared")
        let project = try await get("/projects/dtaas%2Fuser1")
        #expect((try? JSONValue.parse(project.body))?["web_url"]?.stringValue == "\(server.address)/dtaas/user1")
    }

    @Test func throttledRequestsAnswer429WithRetryAfter() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        rig.gitlab.throttle(1)
        let throttled = try await rig.send(.GET, "/projects/7/repository/tree?ref=main")
        #expect(throttled.status == 429)
        #expect(throttled.text == "Retry later\n")
        #expect(throttled.header("Retry-After") == "1")
        #expect(throttled.header("Content-Type") == "text/plain")
        #expect(throttled.header("RateLimit-Remaining") == "0")
        let reset = throttled.header("RateLimit-Reset").flatMap { Int($0) } ?? 0
        #expect(abs(reset - Int(Date().timeIntervalSince1970) - 1) <= 2)
        let next = try await rig.send(.GET, "/projects/7/repository/tree?ref=main")
        #expect(next.status == 200)
        #expect(next.json == [])
    }
}
