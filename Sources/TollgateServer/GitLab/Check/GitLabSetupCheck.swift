import Foundation

/// Asks GitLab what an executor's setup will meet, before a run trips on it: the token's kind,
/// scopes and expiry, its user's role on the project, push and pipeline rights on the ref, the
/// pipeline-variable restriction, the trigger token, online runners for the tag, and the CI file.
/// Each answer comes with what to do when it would make runs fail. `tollgate gitlab check` prints
/// them; `serve` logs them at start.
public struct GitLabSetupCheck: Sendable {
    /// What one executor uses.
    public struct Target: Sendable {
        public var address: String
        public var token: String?
        public var triggerToken: String?
        public var project: String?
        /// The branch or tag pipelines run on (commits land on); the project's default branch when nil.
        public var ref: String?
        public var runnerTag: String?
        /// Starts pipelines (`gitlab`), rather than committing files (`gitlab-files`).
        public var runsPipelines: Bool

        public init(
            address: String, token: String?, triggerToken: String? = nil, project: String?, ref: String? = nil, runnerTag: String? = nil,
            runsPipelines: Bool = true
        ) {
            self.address = address
            self.token = token
            self.triggerToken = triggerToken
            self.project = project
            self.ref = ref
            self.runnerTag = runnerTag
            self.runsPipelines = runsPipelines
        }

        /// The target of a `gitlab` executor.
        public init(_ settings: GitLabExecutorSettings) {
            self.init(
                address: settings.address, token: settings.token, triggerToken: settings.triggerToken, project: settings.project,
                ref: settings.ref, runnerTag: settings.runnerTag)
        }

        /// The target of a `gitlab-files` executor.
        public init(_ settings: GitLabFilesExecutorSettings) {
            self.init(address: settings.address, token: settings.token, project: settings.project, ref: settings.branch, runsPipelines: false)
        }
    }

    /// One answer.
    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        public enum Level: String, Sendable {
            case ok
            /// Runs work, but something may go wrong or could not be checked.
            case warning
            /// Runs would fail.
            case problem
        }

        public var level: Level
        /// What was checked: `token`, `role`, `ref`, `pipeline variables`, `trigger token`, `runners`, `CI file`.
        public var topic: String
        public var message: String
        /// What to do, for warnings and problems.
        public var fix: String?

        public var description: String {
            let mark = switch level {
            case .ok: "ok"
            case .warning: "warning"
            case .problem: "PROBLEM"
            }
            return "\(mark) \(topic): \(message)" + (fix.map { "\n    fix: \($0)" } ?? "")
        }
    }

    let target: Target
    let api: GitLabAPI

    public init(target: Target, http: OutboundHTTP) {
        self.target = target
        var http = http
        http.maxRetryAfter = .seconds(60)
        api = GitLabAPI(address: target.address, token: target.token, http: http).withoutAccessExplanations()
    }

    /// Every answer, in the order above; never throws (an unreachable GitLab is a finding).
    public func run() async -> [Finding] {
        var findings: [Finding] = []
        guard target.token != nil else {
            findings.append(
                Finding(
                    level: .warning, topic: "token",
                    message: "no token, only a trigger token: Tollgate cannot follow pipelines, collect their logs, cancel them, or find"
                        + " one whose answer was lost (a retry may start it again), and nothing else can be checked",
                    fix: "add executors.<name>.token: a personal, project or group access token with the api scope"))
            return findings
        }
        guard let user = await checkToken(&findings) else { return findings }
        guard let project = target.project else {
            findings.append(Finding(level: .ok, topic: "project", message: "none set: each task names its own, not checked"))
            return findings
        }
        guard let state = await checkProject(project, user: user, &findings) else { return findings }
        await checkRef(state, &findings)
        if target.runsPipelines {
            checkVariables(state, &findings)
            await checkTrigger(state, &findings)
            await checkRunners(state, &findings)
            await checkCIFile(state, &findings)
        }
        return findings
    }

    /// What the checks after the project's read work from.
    struct ProjectState {
        var project: String
        var access: GitLabAccess
        var ref: String
        var ciConfigPath: String?
        var sharedRunnersEnabled: Bool?
        var variablesMinimumRole: String?
        var restrictsVariables: Bool?
    }
}
