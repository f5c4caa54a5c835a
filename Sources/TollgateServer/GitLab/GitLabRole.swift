import TollgateJSON

/// A GitLab role, as `access_level` numbers it.
public enum GitLabRole: Int, Sendable, Comparable, CustomStringConvertible {
    case minimalAccess = 5
    case guest = 10
    case planner = 15
    case reporter = 20
    case developer = 30
    case maintainer = 40
    case owner = 50
    case admin = 60

    /// The role of an `access_level`: the highest known role at or below it.
    init?(level: Int64) {
        guard let role = Self.allCases.last(where: { Int64($0.rawValue) <= level }) else { return nil }
        self = role
    }

    static let allCases: [GitLabRole] = [.minimalAccess, .guest, .planner, .reporter, .developer, .maintainer, .owner, .admin]

    public static func < (a: GitLabRole, b: GitLabRole) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .minimalAccess: "Minimal Access"
        case .guest: "Guest"
        case .planner: "Planner"
        case .reporter: "Reporter"
        case .developer: "Developer"
        case .maintainer: "Maintainer"
        case .owner: "Owner"
        case .admin: "Admin"
        }
    }
}

/// Who a token acts as on a project: its user, and that user's role there (nil when the user is
/// no member).
public struct GitLabAccess: Sendable, Equatable {
    public var user: String
    public var userId: Int64
    public var project: String
    public var role: GitLabRole?

    /// "tollgate-bot is Developer on platform/app"
    var sentence: String {
        role.map { "the token's user \(user) is \($0) on \(project)" } ?? "the token's user \(user) is no member of \(project)"
    }
}

extension GitLabAPI {
    /// The token's user (`GET /user`).
    func currentUser() async throws(GitLabFailure) -> (id: Int64, name: String) {
        let me = try await get("/user", what: "reading the token's user")
        guard let id = me["id"]?.intValue, let name = me["username"]?.stringValue else {
            throw GitLabFailure(retryable: false, status: 200, message: "GitLab's answer for the token's user names no user")
        }
        return (id, name)
    }

    /// The token's user and its role on `project` (`GET /projects/:id/members/all/:user_id`, which
    /// counts inherited and shared-group memberships); `user` when already known.
    func access(on project: String, user known: (id: Int64, name: String)? = nil) async throws(GitLabFailure) -> GitLabAccess {
        let user: (id: Int64, name: String)
        if let known { user = known } else { user = try await currentUser() }
        let (id, name) = user
        var access = GitLabAccess(user: name, userId: id, project: project, role: nil)
        do {
            let member = try await get("/projects/\(Self.project(project))/members/all/\(id)", what: "reading the role of \(name) on \(project)")
            access.role = member["access_level"]?.intValue.flatMap(GitLabRole.init(level:))
        } catch where error.status == 404 && !error.message.contains("Project Not Found") {
            access.role = nil
        }
        return access
    }
}
