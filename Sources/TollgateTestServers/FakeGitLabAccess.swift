import Hummingbird
import HTTPTypes
import Synchronization

/// Who a GitLab token is and what GitLab lets it do, shared by the pipeline and the repository
/// sides of the fake as one instance would: the token's kind (a personal access token works in
/// `PRIVATE-TOKEN` and as `Bearer`, an OAuth token only as `Bearer`), scopes and expiry, its
/// user's role, the projects' pipeline-variable setting and CI file, trigger tokens and runners.
public final class FakeGitLabAccess: Sendable {
    /// A GitLab role (`access_level`).
    public enum Role: Int, Sendable, Comparable {
        case guest = 10
        case reporter = 20
        case developer = 30
        case maintainer = 40

        public static func < (a: Role, b: Role) -> Bool { a.rawValue < b.rawValue }
    }

    public enum TokenKind: Sendable {
        case personal
        case oauth
    }

    /// A runner the projects can use.
    public struct Runner: Sendable {
        public var id: Int64
        public var tags: [String]
        public var online: Bool
        public var shared: Bool

        public init(id: Int64, tags: [String], online: Bool = true, shared: Bool = false) {
            self.id = id
            self.tags = tags
            self.online = online
            self.shared = shared
        }
    }

    struct State {
        var kind = TokenKind.personal
        var scopes = ["api"]
        var expiresAt: String? = "2099-12-31"
        var role = Role.maintainer
        var member = true
        /// `ci_pipeline_variables_minimum_override_role`.
        var variablesMinimumRole = "developer"
        var ciConfigPath: String?
        var triggerOwner = FakeGitLabAccess.userName
        var triggerToken = "glptt-good-trigger"
        var runners = [Runner(id: 1, tags: [], online: true, shared: true)]
        var sharedRunnersEnabled = true
    }

    /// The user the tokens belong to.
    static let userName = "tollgate-bot"
    static let userId: Int64 = 42
    let state = Mutex(State())

    public init() {}

    /// The project's trigger token (set by the fake that answers it).
    func setTriggerToken(_ token: String) { state.withLock { $0.triggerToken = token } }

    // MARK: Scripting

    /// Makes the token an OAuth access token (refused in `PRIVATE-TOKEN`, as GitLab does).
    public func useOAuthToken() { state.withLock { $0.kind = .oauth } }
    /// The token's scopes (`api` unless set).
    public func setScopes(_ scopes: [String]) { state.withLock { $0.scopes = scopes } }
    /// The token's expiry day (`YYYY-MM-DD`), or nil for none.
    public func setExpiry(_ day: String?) { state.withLock { $0.expiresAt = day } }
    /// The role of the token's user on every project.
    public func setRole(_ role: Role) { state.withLock { $0.role = role } }
    /// Makes the token's user no member of the projects.
    public func removeMembership() { state.withLock { $0.member = false } }
    /// The minimum role to use pipeline variables: `no_one_allowed`, `developer`, `maintainer` or `owner`.
    public func setPipelineVariablesMinimumRole(_ role: String) { state.withLock { $0.variablesMinimumRole = role } }
    /// The projects' CI file (`.gitlab-ci.yml` unless set).
    public func setCIConfigPath(_ path: String) { state.withLock { $0.ciConfigPath = path } }
    /// Makes the trigger token another user's: its pipelines run as that user.
    public func giveTriggerToAnotherUser() { state.withLock { $0.triggerOwner = "release-manager" } }
    /// The runners the projects can use (by default one shared runner taking untagged jobs).
    public func setRunners(_ runners: [Runner], sharedRunnersEnabled: Bool = true) {
        state.withLock {
            $0.runners = runners
            $0.sharedRunnersEnabled = sharedRunnersEnabled
        }
    }

    var role: Role { state.withLock { $0.role } }
    var triggerOwner: String { state.withLock { $0.triggerOwner } }

    /// Whether the token's user may set variables on a pipeline it starts.
    var maySetVariables: Bool {
        state.withLock { state in
            switch state.variablesMinimumRole {
            case "developer": state.role >= .developer
            case "maintainer": state.role >= .maintainer
            default: false
            }
        }
    }

    /// Whether `request` carries `token` the way GitLab takes a token of this kind.
    func authenticates(_ request: Request, token: String) -> Bool {
        if let bearer = request.headers[.authorization], bearer.hasPrefix("Bearer ") {
            return bearer.dropFirst("Bearer ".count) == token
        }
        guard let given = request.headers[HTTPField.Name("PRIVATE-TOKEN")!] else { return false }
        return given == token && state.withLock { $0.kind == .personal }
    }
}
