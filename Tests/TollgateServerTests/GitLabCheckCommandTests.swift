import AsyncHTTPClient
import Foundation
import Testing
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// `tollgate gitlab check` against a GitLab fake set up the way operators trip: one case per
/// problem, each reported with its fix.
extension GitLabCommandTests {
    struct SetupCase: Sendable, CustomTestStringConvertible {
        var name: String
        var arguments: [String] = []
        var level: String
        var topic: String
        /// Words the finding's message and fix hold.
        var says: [String]
        var prepare: @Sendable (FakeGitLab) -> Void = { _ in }
        var testDescription: String { name }
    }

    static let setupCases: [SetupCase] = [
        SetupCase(name: "a read-only token", level: "PROBLEM", topic: "token", says: ["without the api scope", "fix: create a token with the api scope"]) {
            $0.access.setScopes(["read_api"])
        },
        SetupCase(name: "a token about to expire", level: "warning", topic: "token", says: ["expires within two weeks", "fix: rotate it"]) {
            $0.access.setExpiry(GitLabCommandTests.day(inDays: 3))
        },
        SetupCase(name: "an OAuth token", level: "warning", topic: "token", says: ["OAuth access token", "fix: use a personal, project or group access token"]) {
            $0.access.useOAuthToken()
        },
        SetupCase(name: "a wrong token", arguments: ["--token-env", "WRONG_TOKEN"], level: "PROBLEM", topic: "token", says: ["refuses the token (401)", "fix: set executors.<name>.token"]),
        SetupCase(name: "no such project", arguments: ["--project", "platform/nope"], level: "PROBLEM", topic: "project", says: ["does not exist or tollgate-bot cannot see it", "fix: check executors.<name>.project"]),
        SetupCase(name: "a Reporter", level: "PROBLEM", topic: "role", says: ["tollgate-bot is Reporter on platform/app: it cannot start pipelines", "fix: give tollgate-bot the Developer role"]) {
            $0.setRole(.reporter)
        },
        SetupCase(name: "no member", level: "PROBLEM", topic: "role", says: ["no member of platform/app", "fix: add tollgate-bot to platform/app as Developer"]) {
            $0.access.removeMembership()
        },
        SetupCase(name: "a protected ref", level: "PROBLEM", topic: "ref", says: ["main is protected", "may not", "fix: allow Developers to push or merge in Settings > Repository > Protected branches"]) {
            $0.setRole(.developer)
            $0.repositories.protect(project: 7, branch: "main")
        },
        SetupCase(name: "no such ref", arguments: ["--ref", "release/9"], level: "PROBLEM", topic: "ref", says: ["has no branch or tag release/9", "fix: set executors.<name>.ref"]),
        SetupCase(name: "pipeline variables allowed to no one", level: "PROBLEM", topic: "pipeline variables", says: ["lets no one set pipeline variables", "fix: Settings > CI/CD > Variables: Minimum role to use pipeline variables: Maintainer"]) {
            $0.access.setPipelineVariablesMinimumRole("no_one_allowed")
        },
        SetupCase(name: "pipeline variables a Developer cannot see", level: "warning", topic: "pipeline variables", says: ["only to Maintainers", "since 17.7", "fix: ask a Maintainer"]) {
            $0.setRole(.developer)
        },
        SetupCase(name: "a trigger token of another project", arguments: ["--trigger-token-env", "OTHER_TRIGGER"], level: "PROBLEM", topic: "trigger token", says: ["not one of platform/app's trigger tokens", "fix: create one in Settings > CI/CD > Pipeline trigger tokens"]),
        SetupCase(name: "a runner tag no runner has", arguments: ["--runner-tag", "gpu"], level: "PROBLEM", topic: "runners", says: ["no online runner with tag gpu", "would wait until the task times out", "fix: register a runner with tag gpu"]) {
            $0.access.setRunners([.init(id: 2, tags: ["dtaas"]), .init(id: 3, tags: ["gpu"], online: false)], sharedRunnersEnabled: false)
        },
        SetupCase(name: "no CI file", level: "PROBLEM", topic: "CI file", says: ["no .gitlab/pipelines.yml on main", "fix: commit .gitlab/pipelines.yml to main"]) {
            $0.access.setCIConfigPath(".gitlab/pipelines.yml")
        },
    ]

    static func day(inDays days: Int) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date().addingTimeInterval(Double(days) * 86_400))
    }

    /// A GitLab where runs work: project platform/app with its CI file, a Maintainer's token, a
    /// shared runner.
    static func workingGitLab() -> FakeGitLab {
        let gitlab = FakeGitLab()
        gitlab.addProject(id: 7, path: "platform/app")
        gitlab.repositories.addGroup(id: 3, path: "platform")
        gitlab.repositories.addProject(id: 7, group: 3, path: "app")
        gitlab.repositories.setFile(project: 7, path: ".gitlab-ci.yml", content: Array("run:\n  script: ./run\n".utf8))
        return gitlab
    }

    func check(_ gitlab: FakeGitLab, _ arguments: [String]) async throws -> TollgateCommand.Output {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        try TollgateCommand.run(
                            ["gitlab", "check", "--address", gitlab.address, "--project", "platform/app", "--trigger-token-env", "GITLAB_TRIGGER"] + arguments,
                            environment: [
                                "GITLAB_TOKEN": gitlab.token, "GITLAB_TRIGGER": gitlab.triggerToken, "WRONG_TOKEN": "glpat-wrong",
                                "OTHER_TRIGGER": "glptt-0123456789abcdef",
                            ])
                    })
            }
        }
    }

    @Test func aWorkingSetupChecksOutClean() async throws {
        let gitlab = Self.workingGitLab()
        let client = try await GitLabDescriptorSourceTests.started(gitlab)
        defer { GitLabDescriptorSourceTests.stop(gitlab, client) }
        let output = try await check(gitlab, [])
        #expect(output.status == 0, "\(output.standardOutput)\(output.standardError)")
        for topic in ["token", "role", "ref", "pipeline variables", "trigger token", "runners", "CI file"] {
            #expect(output.standardOutput.contains("ok \(topic): "), "\(topic) in \(output.standardOutput)")
        }
        #expect(!output.standardOutput.contains("PROBLEM") && !output.standardOutput.contains("warning"), "\(output.standardOutput)")
    }

    @Test(arguments: setupCases)
    func eachSetupProblemIsReportedWithItsFix(_ setup: SetupCase) async throws {
        let gitlab = Self.workingGitLab()
        setup.prepare(gitlab)
        let client = try await GitLabDescriptorSourceTests.started(gitlab)
        defer { GitLabDescriptorSourceTests.stop(gitlab, client) }
        let output = try await check(gitlab, setup.arguments)
        let report = output.standardOutput
        #expect(output.status == (setup.level == "PROBLEM" ? 1 : 0), "\(report)\(output.standardError)")
        let start = try #require(report.range(of: "\(setup.level) \(setup.topic): "), "\(report)")
        let finding = report[start.lowerBound...].prefix { $0 != "\n" } + (report[start.lowerBound...].split(separator: "\n").dropFirst().first.map { "\n" + $0 } ?? "")
        for words in setup.says {
            #expect(finding.contains(words), "'\(words)' in: \(finding)")
        }
    }

    @Test func aConfigurationsExecutorsAreCheckedByTheCommandAndAtServeStart() async throws {
        let gitlab = Self.workingGitLab()
        gitlab.access.setPipelineVariablesMinimumRole("no_one_allowed")
        let client = try await GitLabDescriptorSourceTests.started(gitlab)
        defer { GitLabDescriptorSourceTests.stop(gitlab, client) }
        let directory = try TemporaryDirectory()
        let port = FreePort.next()
        let config = try directory.write(
            "tollgate.yaml",
            """
            server: { host: 127.0.0.1, port: \(port) }
            database: { path: \(directory.url("tollgate.db")) }
            policies: { directory: \(RepositoryPaths.policies) }
            executors:
              pipelines: { kind: gitlab, address: "\(gitlab.address)", token: { env: GITLAB_TOKEN }, project: platform/app }
              files: { kind: gitlab-files, address: "\(gitlab.address)", token: { env: GITLAB_TOKEN }, project: platform/app }
            """)
        let checked = try await tollgate(["gitlab", "check", "--config", config], token: gitlab.token)
        #expect(checked.status == 1, "\(checked.standardOutput)\(checked.standardError)")
        #expect(checked.standardOutput.contains("pipelines: \(gitlab.address) platform/app at main\n"), "\(checked.standardOutput)")
        #expect(checked.standardOutput.contains("PROBLEM pipeline variables: the project lets no one set pipeline variables"))
        #expect(checked.standardOutput.contains("files: \(gitlab.address) platform/app at main\n  ok token"), "\(checked.standardOutput)")

        // serve asks the same at start, logs the answers, and serves all the same.
        let log = directory.url("serve.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = try #require(FileHandle(forWritingAtPath: log))
        let server = Process()
        server.executableURL = URL(fileURLWithPath: TollgateCommand.executable)
        server.arguments = ["serve", "--config", config]
        server.environment = ProcessInfo.processInfo.environment.merging(["GITLAB_TOKEN": gitlab.token]) { $1 }
        server.standardOutput = output
        server.standardError = output
        try server.run()
        defer { server.terminate() }
        try await waitUntilListening(port: port, client: client)
        var logged = ""
        for _ in 0..<500 where !logged.contains("PROBLEM pipeline variables") {
            try await Task.sleep(for: .milliseconds(20))
            logged = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        }
        #expect(logged.contains("gitlab check of executor pipelines: PROBLEM pipeline variables: the project lets no one set pipeline variables"), "\(logged)")
        #expect(logged.contains("fix: Settings > CI/CD > Variables"), "\(logged)")
        #expect(server.isRunning, "a setup problem does not stop the server")
    }
}
