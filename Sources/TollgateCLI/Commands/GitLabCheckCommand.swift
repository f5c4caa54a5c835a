import ArgumentParser
import AsyncHTTPClient
import Foundation
import TollgateJSON
import TollgateServer

struct GitLabCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Ask GitLab whether runs will work: token, role, ref rights, pipeline variables, trigger token, runners, CI file.",
        discussion: """
            Checks one setup (--address and --project), or every gitlab and gitlab-files executor of a \
            configuration file (--config). Each line says what was found and, where a run would fail, \
            how to fix it. Exits 1 when a run would fail.
            """)

    @Option(help: "The GitLab instance (https://gitlab.example.com).") var address: String?
    @Option(help: "The project (id or full path).") var project: String?
    @Option(help: "The branch or tag pipelines run on (default: the project's default branch).") var ref: String?
    @Option(help: "The runner tag the project's jobs need.") var runnerTag: String?
    @Option(help: "Environment variable holding the token.") var tokenEnv = "GITLAB_TOKEN"
    @Option(help: "Environment variable holding a pipeline trigger token, if pipelines start with one.") var triggerTokenEnv: String?
    @Flag(help: "Check for committing files (gitlab-files) rather than running pipelines.") var files = false
    @Option(help: "Check every GitLab executor of this configuration file instead.") var config: String?
    @Option(help: "Output format.") var format = DataFormat.text

    func run() async throws {
        let targets = try self.targets()
        let client = TollgateService.makeHTTPClient()
        defer { Task { try? await client.shutdown() } }
        var report: [(name: String, target: GitLabSetupCheck.Target, findings: [GitLabSetupCheck.Finding])] = []
        for (name, target) in targets {
            report.append((name, target, await GitLabSetupCheck(target: target, http: OutboundHTTP(client: client)).run()))
        }
        switch format {
        case .json:
            let list = report.map { entry -> JSONValue in
                [
                    "executor": .string(entry.name), "address": .string(entry.target.address), "project": entry.target.project.map(JSONValue.string) ?? .null,
                    "findings": .array(
                        entry.findings.map { f in
                            ["level": .string(f.level.rawValue), "topic": .string(f.topic), "message": .string(f.message), "fix": f.fix.map(JSONValue.string) ?? .null]
                        }),
                ]
            }
            print(JSONValue.array(list).serialized(pretty: true))
        case .text:
            for entry in report {
                print("\(entry.name): \(entry.target.address) \(entry.target.project ?? "(no project)")" + (entry.target.ref.map { " at \($0)" } ?? ""))
                for finding in entry.findings { print("  " + finding.description.replacingOccurrences(of: "\n", with: "\n  ")) }
            }
        }
        let problems = report.flatMap(\.findings).filter { $0.level == .problem }.count
        if problems > 0 {
            printError("tollgate gitlab check: \(problems) problem(s) would make runs fail")
            throw ExitCode(1)
        }
    }

    /// The setups to check, by executor name.
    func targets() throws -> [(String, GitLabSetupCheck.Target)] {
        if let config {
            guard let data = FileManager.default.contents(atPath: config) else {
                printError("tollgate gitlab check: cannot read the configuration file \(config)")
                throw ExitCode(2)
            }
            let configuration: ServiceConfiguration
            do {
                configuration = try ServiceConfiguration(text: String(decoding: data, as: UTF8.self))
            } catch {
                printError("tollgate gitlab check: \(config): \(error)")
                throw ExitCode(2)
            }
            let targets = configuration.executors.sorted { $0.key < $1.key }.compactMap { name, executor -> (String, GitLabSetupCheck.Target)? in
                switch executor {
                case .gitlab(let settings): (name, GitLabSetupCheck.Target(settings))
                case .gitlabFiles(let settings): (name, GitLabSetupCheck.Target(settings))
                default: nil
                }
            }
            guard !targets.isEmpty else {
                printError("tollgate gitlab check: \(config) has no gitlab or gitlab-files executor")
                throw ExitCode(2)
            }
            return targets
        }
        guard let address, let project else {
            printError("tollgate gitlab check: give --address and --project, or --config")
            throw ExitCode(2)
        }
        let environment = ProcessInfo.processInfo.environment
        let token = environment[tokenEnv].flatMap { $0.isEmpty ? nil : $0 }
        let trigger = triggerTokenEnv.flatMap { environment[$0] }.flatMap { $0.isEmpty ? nil : $0 }
        guard token != nil || trigger != nil else {
            printError("tollgate gitlab check: set \(tokenEnv) to a GitLab token (or name another variable with --token-env)")
            throw ExitCode(2)
        }
        let target = GitLabSetupCheck.Target(
            address: address, token: token, triggerToken: trigger, project: project, ref: ref, runnerTag: runnerTag, runsPipelines: !files)
        return [("gitlab", target)]
    }
}
