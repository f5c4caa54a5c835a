import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import TollgateJSON
import TollgateLifecycle
import TollgateServer

struct GitLabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gitlab",
        abstract: "Prepare and inspect GitLab projects: discovery, files, commits, task histories.",
        subcommands: [GitLabCheck.self, GitLabDiscover.self, GitLabFileGet.self, GitLabFilePut.self, GitLabFileDelete.self, GitLabCommit.self, TaskHistory.self]
    )
}

/// Where GitLab is and how to reach it.
struct GitLabOptions: ParsableArguments {
    @Option(help: "The GitLab instance (https://gitlab.example.com).")
    var address: String

    @Option(help: "Environment variable holding the token (api scope to write).")
    var tokenEnv = "GITLAB_TOKEN"

    /// Runs `body` with a repository client, turning GitLab's refusals into a clear message and exit 1.
    func run<T>(_ command: String, _ body: (GitLabRepository) async throws(GitLabFailure) -> T) async throws -> T {
        guard let token = ProcessInfo.processInfo.environment[tokenEnv], !token.isEmpty else {
            printError("tollgate gitlab \(command): set \(tokenEnv) to a GitLab token (or name another variable with --token-env)")
            throw ExitCode(2)
        }
        let client = TollgateService.makeHTTPClient()
        defer { Task { try? await client.shutdown() } }
        do {
            return try await body(GitLabRepository(address: address, token: token, http: OutboundHTTP(client: client)))
        } catch {
            printError("tollgate gitlab \(command): \(error.message)")
            throw ExitCode(1)
        }
    }
}

struct GitLabDiscover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover", abstract: "List the descriptors and the digital-twin assets found in a group's projects.")

    @OptionGroup var gitlab: GitLabOptions

    @Option(help: "The group (id or full path).")
    var group: String

    @Option(help: "Which files are descriptors (glob over repository paths).")
    var pattern = "**/data-product-descriptor.{json,yaml,yml}"

    @Option(help: "Output format.")
    var format = DataFormat.text

    func run() async throws {
        var settings = GitLabDescriptorSource.Settings(address: gitlab.address, token: "", group: group)
        settings.pattern = pattern
        let (found, assets) = try await gitlab.run("discover") { repository throws(GitLabFailure) in
            settings.token = ProcessInfo.processInfo.environment[gitlab.tokenEnv] ?? ""
            let client = TollgateService.makeHTTPClient()
            defer { Task { try? await client.shutdown() } }
            let found = try await GitLabDescriptorSource(settings: settings, http: OutboundHTTP(client: client)).discover()
            var assets: [(project: String, kind: String, name: String)] = []
            for project in try await repository.projects(inGroup: group) {
                guard let ref = project.defaultBranch else { continue }
                for kind in ["digital_twins", "functions", "models", "tools", "data"] {
                    let entries = (try? await repository.tree(project: String(project.id), path: kind, ref: ref)) ?? []
                    for entry in entries where entry.isFolder { assets.append((project.pathWithNamespace, kind, entry.name)) }
                }
            }
            return (found, assets)
        }
        switch format {
        case .json:
            let descriptors = found.map { file -> JSONValue in
                var o: JSONObject = ["project": .string(file.project.pathWithNamespace), "path": .string(file.path), "ref": .string(file.ref)]
                switch file.descriptor {
                case .success(let d):
                    o["fullyQualifiedName"] = .string(d.fullyQualifiedName)
                    o["version"] = .string(d.version)
                case .failure(let problem): o["problem"] = .string(problem.description)
                }
                return .object(o)
            }
            let list = assets.map { a -> JSONValue in ["project": .string(a.project), "kind": .string(a.kind), "name": .string(a.name)] }
            print(JSONValue.object(["descriptors": .array(descriptors), "assets": .array(list)]).serialized(pretty: true))
        case .text:
            print("descriptors (\(found.count))")
            for file in found {
                switch file.descriptor {
                case .success(let d): print("  \(d.fullyQualifiedName) \(d.version)  \(file.project.pathWithNamespace):\(file.path)@\(file.ref)")
                case .failure(let problem): print("  NOT A DESCRIPTOR  \(problem)")
                }
            }
            print("assets (\(assets.count))")
            for asset in assets { print("  \(asset.kind)/\(asset.name)  \(asset.project)") }
        }
    }
}

struct GitLabFileGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Write a file of a repository to standard output, or to a local file (any size, streamed).")

    @OptionGroup var gitlab: GitLabOptions
    @Argument(help: "The project (id or full path).") var project: String
    @Argument(help: "The file's path in the repository.") var path: String
    @Option(help: "Branch, tag or commit.") var ref = "main"
    @Option(help: "The local file to write (replaced only once the whole file has arrived).") var output: String?

    func run() async throws {
        // Into a temporary file beside the output, renamed at the end: never a half-written file.
        let partial = output.map { $0 + ".partial-\(ProcessInfo.processInfo.processIdentifier)" }
        if let partial, !FileManager.default.createFile(atPath: partial, contents: nil) {
            printError("tollgate gitlab get: cannot write \(output ?? partial)")
            throw ExitCode(2)
        }
        let sink = partial.flatMap { FileHandle(forWritingAtPath: $0) } ?? FileHandle.standardOutput
        defer {
            try? sink.close()
            if let partial { try? FileManager.default.removeItem(atPath: partial) }
        }
        let info = try await gitlab.run("get") { repository throws(GitLabFailure) in
            try await repository.download(project: project, path: path, ref: ref) { piece in
                try sink.write(contentsOf: Data(piece.readableBytesView))
            }
        }
        guard info != nil else {
            printError("tollgate gitlab get: \(project) has no file \(path) at \(ref)")
            throw ExitCode(1)
        }
        if let output, let partial {
            try sink.synchronize()
            _ = try? FileManager.default.removeItem(atPath: output)
            try FileManager.default.moveItem(atPath: partial, toPath: output)
        }
    }
}

struct GitLabFilePut: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Create or update a file from a local file (any size, streamed), in one commit (refused if it changed since it was read).")

    @OptionGroup var gitlab: GitLabOptions
    @Argument(help: "The project (id or full path).") var project: String
    @Argument(help: "The file's path in the repository.") var path: String
    @Option(help: "The local file whose bytes to write.") var from: String
    @Option(help: "The branch to commit to.") var branch = "main"
    @Option(help: "The commit message.") var message: String?

    func run() async throws {
        let content = GitLabContent.localFile(path: from)
        let hash: String
        do {
            hash = try content.sha256()
        } catch {
            printError("tollgate gitlab put: cannot read \(from): \(error.localizedDescription)")
            throw ExitCode(2)
        }
        let outcome = try await gitlab.run("put") { repository throws(GitLabFailure) -> String in
            // Compared by SHA-256, so that the file is not read back.
            if let current = try await repository.fileInfo(project: project, path: path, ref: branch) {
                if current.contentSHA256 == hash { return "unchanged" }
                try await repository.updateFile(
                    project: project, branch: branch, path: path, content: content, lastCommitId: current.lastCommitId,
                    message: message ?? "Update \(path)")
                return "updated"
            }
            try await repository.createFile(project: project, branch: branch, path: path, content: content, message: message ?? "Create \(path)")
            return "created"
        }
        print("\(outcome) \(path) on \(branch) of \(project)")
    }
}

struct GitLabFileDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a file, or a folder with every file under it, in one commit.")

    @OptionGroup var gitlab: GitLabOptions
    @Argument(help: "The project (id or full path).") var project: String
    @Argument(help: "The file's or folder's path in the repository.") var path: String
    @Option(help: "The branch to commit to.") var branch = "main"
    @Option(help: "The commit message.") var message: String?

    func run() async throws {
        let outcome = try await gitlab.run("delete") { repository throws(GitLabFailure) -> String in
            let text = message ?? "Delete \(path)"
            if try await repository.fileInfo(project: project, path: path, ref: branch) != nil {
                try await repository.deleteFile(project: project, branch: branch, path: path, message: text)
                return "deleted \(path)"
            }
            guard let commit = try await repository.deleteFolder(project: project, branch: branch, path: path, message: text) else {
                return "nothing at \(path)"
            }
            return "deleted folder \(path) in commit \(commit.id)"
        }
        print(outcome)
    }
}

struct GitLabCommit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit",
        abstract: "Apply file actions (a JSON list, as a gitlab-files task takes them) in one commit: all or nothing.")

    @OptionGroup var gitlab: GitLabOptions
    @Argument(help: "The project (id or full path).") var project: String
    @Option(help: "A JSON file with the list of actions ([{\"action\": \"upsert\", \"path\": …, \"content\": …}]).") var actions: String
    @Option(help: "The branch to commit to.") var branch = "main"
    @Option(help: "The commit message.") var message: String

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: actions), let list = try? JSONValue.parse(Array(data)) else {
            printError("tollgate gitlab commit: \(actions) is not a readable JSON file")
            throw ExitCode(2)
        }
        let plan: GitLabFilePlan
        do {
            plan = try GitLabFilePlan(files: list)
        } catch {
            printError("tollgate gitlab commit: \(actions): \(error)")
            throw ExitCode(2)
        }
        let commit = try await gitlab.run("commit") { repository throws(GitLabFailure) in
            try await plan.commit(repository: repository, project: project, branch: branch, message: message)
        }
        print(commit.map { "committed \($0.id)" + ($0.webURL.map { " (\($0))" } ?? "") } ?? "nothing to change")
    }
}
