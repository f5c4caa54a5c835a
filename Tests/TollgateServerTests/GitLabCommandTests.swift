import AsyncHTTPClient
import Foundation
import Testing
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// `tollgate gitlab` as a platform engineer runs it, against the GitLab fake.
@Suite("tollgate gitlab", .serialized)
struct GitLabCommandTests {
    /// Runs the command off the cooperative pool, so the fake in this process keeps answering.
    func tollgate(_ arguments: [String], token: String, sampleMemory: Bool = false) async throws -> TollgateCommand.Output {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try TollgateCommand.run(arguments, environment: ["GITLAB_TOKEN": token], sampleMemory: sampleMemory) })
            }
        }
    }

    @Test func discoverPutCommitAndDeletePrepareAProject() async throws {
        let gitlab = FakeGitLab()
        let fake = gitlab.repositories
        fake.addGroup(id: 3, path: "dtaas")
        fake.addProject(id: 11, group: 3, path: "user1")
        fake.setFile(project: 11, path: "digital_twins/hello-world/README.md", content: Array("# hello".utf8))
        fake.setFile(project: 11, path: "functions/normalise/main.py", content: Array("pass".utf8))
        fake.setFile(project: 11, path: "data-product-descriptor.json", content: GitLabDescriptorSourceTests.descriptor("hello", version: "1.0.0"))
        let client = try await GitLabDescriptorSourceTests.started(gitlab)
        defer { GitLabDescriptorSourceTests.stop(gitlab, client) }
        let directory = try TemporaryDirectory()
        let at = ["--address", gitlab.address]
        let token = gitlab.token

        let discover = try await tollgate(["gitlab", "discover", "--group", "dtaas"] + at, token: token)
        #expect(discover.status == 0, "\(discover.standardError)")
        #expect(discover.standardOutput.contains("urn:org.opendatamesh:dataproducts:hello 1.0.0  dtaas/user1:data-product-descriptor.json@main"))
        #expect(discover.standardOutput.contains("digital_twins/hello-world  dtaas/user1"))
        #expect(discover.standardOutput.contains("functions/normalise  dtaas/user1"))

        let local = try directory.write("config.yml", "größe: 3 ✓\n")
        let put = try await tollgate(["gitlab", "put", "dtaas/user1", "digital_twins/hello-world/config.yml", "--from", local] + at, token: token)
        #expect(put.status == 0, "\(put.standardError)")
        #expect(put.standardOutput == "created digital_twins/hello-world/config.yml on main of dtaas/user1\n")
        let get = try await tollgate(["gitlab", "get", "11", "digital_twins/hello-world/config.yml"] + at, token: token)
        #expect(get.standardOutput == "größe: 3 ✓\n")
        let unchanged = try await tollgate(["gitlab", "put", "11", "digital_twins/hello-world/config.yml", "--from", local] + at, token: token)
        #expect(unchanged.standardOutput.hasPrefix("unchanged"))

        let actions = try directory.write(
            "actions.json", ##"[{"action":"upsert","path":"digital_twins/two/README.md","content":"# two"},{"action":"create","path":"digital_twins/hello-world/README.md","content":"clash"}]"##)
        let clash = try await tollgate(["gitlab", "commit", "11", "--actions", actions, "--message", "Two twins"] + at, token: token)
        #expect(clash.status == 1)
        #expect(clash.standardError.contains("the file already exists"), "\(clash.standardError)")
        #expect(fake.files(project: 11)["digital_twins/two/README.md"] == nil, "nothing of a refused commit lands")

        let removed = try await tollgate(["gitlab", "delete", "11", "digital_twins/hello-world", "--message", "Remove hello-world"] + at, token: token)
        #expect(removed.status == 0, "\(removed.standardError)")
        #expect(removed.standardOutput.hasPrefix("deleted folder digital_twins/hello-world in commit "))
        #expect(fake.files(project: 11).keys.filter { $0.hasPrefix("digital_twins/hello-world") }.isEmpty)

        fake.protect(project: 11, branch: "main")
        let refused = try await tollgate(["gitlab", "put", "11", "x.txt", "--from", local] + at, token: token)
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("the branch is protected"), "\(refused.standardError)")
        let noToken = try await tollgate(["gitlab", "get", "11", "x.txt", "--token-env", "NOT_SET_ANYWHERE"] + at, token: token)
        #expect(noToken.status == 2)
        #expect(noToken.standardError.contains("set NOT_SET_ANYWHERE to a GitLab token"))
    }

    /// A local file of `size` pseudo-random bytes (incompressible, like an `.fmu`), written piece by piece.
    static func binaryFile(_ directory: TemporaryDirectory, _ name: String, size: Int) throws -> String {
        let path = directory.url(name)
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        defer { try? handle.close() }
        var random = SplitMix64(state: UInt64(size))
        var written = 0
        while written < size {
            let count = min(1 << 20, size - written)
            var piece = [UInt8](repeating: 0, count: count)
            for index in stride(from: 0, to: count, by: 8) {
                withUnsafeBytes(of: random.next()) { word in
                    for offset in 0..<min(8, count - index) { piece[index + offset] = word[offset] }
                }
            }
            try handle.write(contentsOf: piece)
            written += count
        }
        return path
    }

    @Test func aFiftyMegabyteFileGoesToGitLabAndBackInBoundedMemory() async throws {
        let gitlab = FakeGitLab()
        let fake = gitlab.repositories
        fake.addGroup(id: 3, path: "dtaas")
        fake.addProject(id: 11, group: 3, path: "user1")
        let client = try await GitLabDescriptorSourceTests.started(gitlab)
        defer { GitLabDescriptorSourceTests.stop(gitlab, client) }
        let directory = try TemporaryDirectory()
        let at = ["--address", gitlab.address]

        /// Puts a file of `size` bytes, reads it back, and answers the two runs' peak memory.
        func roundTrip(_ name: String, size: Int) async throws -> (put: Int, get: Int) {
            let local = try Self.binaryFile(directory, name, size: size)
            let remote = "digital_twins/plant/\(name)"
            let put = try await tollgate(["gitlab", "put", "11", remote, "--from", local] + at, token: gitlab.token, sampleMemory: true)
            #expect(put.status == 0, "\(put.standardError)")
            #expect(put.standardOutput == "created \(remote) on main of 11\n")
            let back = directory.url("back-\(name)")
            let get = try await tollgate(["gitlab", "get", "11", remote, "--output", back] + at, token: gitlab.token, sampleMemory: true)
            #expect(get.status == 0, "\(get.standardError)")
            let sent = try Data(contentsOf: URL(fileURLWithPath: local))
            #expect(fake.files(project: 11)[remote].map { Data($0) == sent } == true, "GitLab holds the file's bytes")
            #expect(try Data(contentsOf: URL(fileURLWithPath: back)) == sent, "the bytes come back unchanged")
            let again = try await tollgate(["gitlab", "put", "11", remote, "--from", local] + at, token: gitlab.token)
            #expect(again.standardOutput.hasPrefix("unchanged"), "compared by SHA-256: \(again.standardOutput)")
            return (try #require(put.peakResidentBytes), try #require(get.peakResidentBytes))
        }

        let small = try await roundTrip("small.fmu", size: 1_000)
        let large = try await roundTrip("plant.fmu", size: 50_000_000)
        func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
        print(
            "gitlab files: peak RSS put \(megabytes(small.put)) (1 kB) vs \(megabytes(large.put)) (50 MB);"
                + " get \(megabytes(small.get)) (1 kB) vs \(megabytes(large.get)) (50 MB)")
        // Held whole, the file would add 50 MB (and its base64 67 MB more): streamed, it adds a few pieces.
        #expect(large.put - small.put < 20_000_000, "put: \(megabytes(small.put)) → \(megabytes(large.put))")
        #expect(large.get - small.get < 20_000_000, "get: \(megabytes(small.get)) → \(megabytes(large.get))")
    }
}
