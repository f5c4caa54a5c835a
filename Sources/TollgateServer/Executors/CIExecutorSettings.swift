/// `kind: gitlab` in `executors:`: tasks run as GitLab CI pipelines.
///
/// ```yaml
/// executors:
///   gitlab:
///     kind: gitlab
///     address: https://gitlab.example.com        # the instance; the API is at /api/v4
///     token: { env: GITLAB_TOKEN }               # personal, project or group token (api scope)
///     triggerToken: { env: GITLAB_TRIGGER }      # optional: start pipelines with a trigger token
///     project: platform/pipelines                # default project (id or full path)
///     ref: main                                  # default branch or tag
///     runnerTag: dtaas                           # optional: the tag its jobs need a runner for (checked at start)
///     pollSeconds: 5                             # first poll interval; grows to maxPollSeconds
///     maxPollSeconds: 60
///     logLimitBytes: 262144                      # per job; longer logs keep their end
/// ```
/// A task's template definition may name `project`, `ref`, `trigger` (`token` or `api`) and
/// `variables`.
public struct GitLabExecutorSettings: Sendable, Equatable {
    public var address: String
    public var token: String?
    public var triggerToken: String?
    public var project: String?
    public var ref = "main"
    /// The runner tag the project's jobs need; `tollgate gitlab check` and `serve`'s start check
    /// that an online runner carries it.
    public var runnerTag: String?
    public var pollSeconds = 5.0
    public var maxPollSeconds = 60.0
    public var logLimitBytes = 256 << 10

    public init(address: String, token: String?, triggerToken: String? = nil, project: String? = nil) {
        self.address = address
        self.token = token
        self.triggerToken = triggerToken
        self.project = project
    }
}

/// `kind: azure-devops` in `executors:`: tasks run as Azure Pipelines runs.
///
/// ```yaml
/// executors:
///   azure:
///     kind: azure-devops
///     organization: https://dev.azure.com/contoso   # the organization's address
///     project: platform
///     token: { env: AZURE_DEVOPS_PAT }             # a PAT (Basic) or, with tokenKind: bearer, an Entra token
///     tokenKind: pat
///     pipelineId: 12                               # default pipeline
///     branch: main                                 # default branch
///     pollSeconds: 5
///     maxPollSeconds: 60
/// ```
/// A task's template definition may name `pipelineId`, `branch` and `stagesToSkip`.
public struct AzureDevOpsExecutorSettings: Sendable, Equatable {
    public enum TokenKind: String, Sendable, Equatable {
        case pat
        case bearer
    }

    public var organization: String
    public var project: String
    public var token: String
    public var tokenKind = TokenKind.pat
    public var pipelineId: Int?
    public var branch = "main"
    public var pollSeconds = 5.0
    public var maxPollSeconds = 60.0
    /// Whether runs are given the dispatch's trace context as the `TRACEPARENT` variable
    /// (`traceparentVariable: true`). Off by default: where the organization limits the variables
    /// set at queue time (the default of new organizations), a run may set only variables its
    /// pipeline marks "settable at queue time", and any other fails the run.
    public var traceparentVariable = false

    public init(organization: String, project: String, token: String) {
        self.organization = organization
        self.project = project
        self.token = token
    }
}

/// `kind: gitlab-files` in `executors:`: tasks that commit files to a GitLab repository.
///
/// ```yaml
/// executors:
///   files:
///     kind: gitlab-files
///     address: https://gitlab.example.com
///     token: { env: GITLAB_TOKEN }      # api scope
///     project: dtaas/user1              # default project (id or full path)
///     branch: main                      # default branch
///     retryAfterCeilingSeconds: 300     # longest wait in all for GitLab's Retry-After on a read
/// ```
/// The task's template definition may name `project`, `branch`, `startBranch` and `message`; its
/// configurations list the `files` actions (their content may hold `${…}` placeholders).
public struct GitLabFilesExecutorSettings: Sendable, Equatable {
    public var address: String
    public var token: String
    public var project: String?
    public var branch = "main"
    /// The longest a read waits in all for GitLab's `Retry-After` before the task fails
    /// (`retryAfterCeilingSeconds`); GitLab's throttle windows last a minute or more.
    public var retryAfterCeilingSeconds = 300.0

    public init(address: String, token: String, project: String? = nil) {
        self.address = address
        self.token = token
        self.project = project
    }
}
