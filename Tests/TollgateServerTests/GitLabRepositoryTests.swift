import AsyncHTTPClient
import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// The GitLab repository client against the GitLab fake: discovery, trees, files and commits.
@Suite("GitLab repositories", .serialized)
struct GitLabRepositoryTests {
    final class Rig: Sendable {
        let gitlab = FakeGitLab()
        let client = TollgateService.makeHTTPClient()
        var fake: FakeGitLabRepositories { gitlab.repositories }

        var repository: GitLabRepository {
            var http = OutboundHTTP(client: client)
            http.backoff = .milliseconds(5)
            return GitLabRepository(address: gitlab.address, token: gitlab.token, http: http)
        }

        func start() async throws {
            fake.addGroup(id: 3, path: "dtaas")
            for (id, name) in [(10, "common"), (11, "user1"), (12, "user2"), (13, "user3"), (14, "user4")] {
                fake.addProject(id: Int64(id), group: 3, path: name)
            }
            try await gitlab.start(client: client)
        }

        func stop() {
            gitlab.stop()
            Task { try? await client.shutdown() }
        }
    }

    func withRig(_ body: (Rig) async throws -> Void) async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        try await body(rig)
    }

    @Test func everyPageOfProjectsAndTreesIsRead() async throws {
        try await withRig { rig in
            rig.fake.maxPerPage(2)
            let projects = try await rig.repository.projects(inGroup: "dtaas")
            #expect(projects.map(\.path).sorted() == ["common", "user1", "user2", "user3", "user4"])
            #expect(rig.fake.requests.filter { $0.hasPrefix("GET /api/v4/groups/dtaas/projects") }.count == 3, "three pages of two")

            for name in ["a", "b", "c", "d", "e"] {
                rig.fake.setFile(project: 11, path: "digital_twins/\(name)/README.md", content: Array("# \(name)".utf8))
            }
            let twins = try await rig.repository.tree(project: "dtaas/user1", path: "digital_twins", ref: "main")
            #expect(twins.map(\.name) == ["a", "b", "c", "d", "e"])
            #expect(twins.allSatisfy { $0.isFolder })
            let keyset = rig.fake.requests.filter { $0.contains("/repository/tree") }
            #expect(keyset.count == 3, "keyset pages of two: \(keyset)")
            #expect(keyset.dropFirst().allSatisfy { $0.contains("page_token=") })
            let all = try await rig.repository.tree(project: "11", ref: "main", recursive: true)
            #expect(all.filter { !$0.isFolder }.count == 5)
        }
    }

    @Test func unicodePathsAndContentSurviveAsUTF8() async throws {
        try await withRig { rig in
            let text = "Zürich → São Paulo ✓\n"
            rig.fake.setFile(project: 11, path: "digital_twins/Café/README.md", content: Array(text.utf8))
            let file = try #require(try await rig.repository.file(project: "dtaas/user1", path: "digital_twins/Café/README.md", ref: "main"))
            #expect(file.text == text, "decoded as UTF-8, not Latin-1")
            #expect(file.lastCommitId == rig.fake.lastCommitId(project: 11, path: "digital_twins/Café/README.md"))
            #expect(try await rig.repository.file(project: "dtaas/user1", path: "nope.md", ref: "main") == nil)

            let binary: [UInt8] = [0, 0xFF, 0xC3, 0x28, 10]
            try await rig.repository.createFile(project: "11", branch: "main", path: "data/Größe.bin", content: .bytes(binary), message: "Add data")
            #expect(rig.fake.files(project: 11)["data/Größe.bin"] == binary)
        }
    }

    @Test func aSevenMegabyteFileIsReadUpdatedAndUpserted() async throws {
        try await withRig { rig in
            var random = SplitMix64(state: 7)
            func model() -> [UInt8] { (0..<(7 << 20)).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
            let path = "digital_twins/plant/model.fmu"
            let first = model()
            rig.fake.setFile(project: 11, path: path, content: first)
            let read = try #require(try await rig.repository.file(project: "11", path: path, ref: "main"))
            #expect(read.bytes == first, "read whole, though base64 would make it 9.3 MiB")
            let info = try #require(try await rig.repository.fileInfo(project: "11", path: path, ref: "main"))
            #expect(info.size == 7 << 20 && info.lastCommitId == read.lastCommitId)

            let second = model()
            try await rig.repository.updateFile(
                project: "11", branch: "main", path: path, content: .bytes(second), lastCommitId: info.lastCommitId, message: "New model")
            #expect(rig.fake.files(project: 11)[path] == second)

            let third = model()
            let upsert = try GitLabFilePlan(files: [["action": "upsert", "path": .string(path), "encoding": "base64", "content": .string(Data(third).base64EncodedString())]])
            #expect(try await upsert.commit(repository: rig.repository, project: "11", branch: "main", message: "Upsert") != nil)
            #expect(rig.fake.files(project: 11)[path] == third)
            let reads = rig.fake.requests.filter { $0.contains("/raw") }.count
            #expect(try await upsert.commit(repository: rig.repository, project: "11", branch: "main", message: "Again") == nil, "unchanged")
            #expect(rig.fake.requests.filter { $0.contains("/raw") }.count == reads, "compared by SHA-256, not read back")
        }
    }

    @Test func aCommitIsAllOrNothing() async throws {
        try await withRig { rig in
            rig.fake.setFile(project: 11, path: "exists.txt", content: Array("old".utf8))
            let before = rig.fake.commits(project: 11).count
            do throws(GitLabFailure) {
                _ = try await rig.repository.commit(
                    project: "dtaas/user1", branch: "main", message: "Two files",
                    actions: [.create(path: "new.txt", content: Array("new".utf8)), .create(path: "exists.txt", content: Array("x".utf8))])
                Issue.record("committed")
            } catch {
                #expect(!error.retryable)
                #expect(error.message.hasPrefix("GitLab refused committing 2 change(s) to dtaas/user1 on main: the file already exists."), "\(error.message)")
            }
            #expect(rig.fake.files(project: 11)["new.txt"] == nil, "the first action was not applied either")
            #expect(rig.fake.commits(project: 11).count == before)

            let commit = try await rig.repository.commit(
                project: "dtaas/user1", branch: "main", message: "Four changes",
                actions: [
                    .create(path: "new.txt", content: Array("new".utf8)), .update(path: "exists.txt", content: Array("newer".utf8)),
                    .chmod(path: "new.txt", executable: true), .move(from: "exists.txt", to: "moved/exists.txt"),
                ])
            #expect(commit.id.count == 40)
            #expect(rig.fake.commits(project: 11).last?.actions == 4)
            #expect(rig.fake.files(project: 11)["moved/exists.txt"] == Array("newer".utf8), "moved with its new content")
            #expect(rig.fake.files(project: 11)["exists.txt"] == nil)
        }
    }

    @Test func aConcurrentEditIsDetected() async throws {
        try await withRig { rig in
            rig.fake.setFile(project: 11, path: "config.yml", content: Array("a: 1\n".utf8))
            let read = try #require(try await rig.repository.file(project: "11", path: "config.yml", ref: "main"))
            rig.fake.setFile(project: 11, path: "config.yml", content: Array("a: 2\n".utf8))  // someone else
            do throws(GitLabFailure) {
                try await rig.repository.updateFile(
                    project: "11", branch: "main", path: "config.yml", content: .bytes(Array("a: 3\n".utf8)), lastCommitId: read.lastCommitId, message: "Mine")
                Issue.record("overwrote the other change")
            } catch {
                #expect(error.message.contains("changed by someone else since it was read"), "\(error.message)")
            }
            #expect(rig.fake.files(project: 11)["config.yml"] == Array("a: 2\n".utf8))
        }
    }

    @Test func aFolderIsDeletedInOneCommit() async throws {
        try await withRig { rig in
            for path in ["digital_twins/old/README.md", "digital_twins/old/lifecycle/create", "digital_twins/old/lifecycle/clean", "digital_twins/keep/README.md"] {
                rig.fake.setFile(project: 11, path: path, content: Array("x".utf8))
            }
            let before = rig.fake.commits(project: 11).count
            let commit = try await rig.repository.deleteFolder(project: "dtaas/user1", branch: "main", path: "digital_twins/old", message: "Delete old")
            #expect(commit != nil)
            #expect(rig.fake.commits(project: 11).count == before + 1)
            #expect(rig.fake.commits(project: 11).last?.actions == 3)
            #expect(rig.fake.files(project: 11).keys.sorted() == ["digital_twins/keep/README.md"])
        }
    }

    @Test func aProtectedBranchIsRefusedClearly() async throws {
        try await withRig { rig in
            rig.fake.setFile(project: 11, path: "README.md", content: Array("x".utf8))
            rig.fake.protect(project: 11, branch: "main")
            do throws(GitLabFailure) {
                _ = try await rig.repository.commit(project: "11", branch: "main", message: "m", actions: [.create(path: "a", content: [1])])
                Issue.record("committed")
            } catch {
                #expect(error.status == 403)
                #expect(error.message.contains("the branch is protected"), "\(error.message)")
            }
        }
    }

    @Test func rateLimitedReadsWaitAndSucceed() async throws {
        try await withRig { rig in
            rig.fake.setFile(project: 11, path: "README.md", content: Array("hi".utf8))
            rig.fake.throttle(1)
            let started = ContinuousClock.now
            let file = try await rig.repository.file(project: "11", path: "README.md", ref: "main")
            #expect(file?.text == "hi")
            #expect(ContinuousClock.now - started >= .milliseconds(900), "waited for Retry-After: 1")
            rig.fake.throttle(3)
            do throws(GitLabFailure) {
                _ = try await rig.repository.commit(project: "11", branch: "main", message: "m", actions: [.create(path: "b", content: [1])])
                Issue.record("committed while throttled")
            } catch {
                #expect(error.retryable, "a write is not retried blindly, but may be tried again later")
                #expect(error.message.contains("rate-limiting"), "\(error.message)")
            }
            #expect(rig.fake.files(project: 11)["b"] == nil)
        }
    }
}
