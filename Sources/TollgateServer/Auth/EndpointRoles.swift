import HTTPTypes
import Hummingbird

/// Which roles may reach which endpoints. `admin` reaches everything.
enum EndpointRoles {
    /// The roles that may make `request`; nil when it needs no bearer token.
    static func roles(for request: Request) -> Set<Role>? {
        let path = request.uri.path
        if path == "/health" || path == "/openapi.json" { return nil }
        if path == "/metrics" { return [.auditor, .admin] }
        if path.hasPrefix("/api/v1/pp/devops/tasks/"), request.method == .patch,
            request.uri.queryParameters.get("action") == "STOP"
        {
            return nil  // executor callbacks authenticate with their task token
        }
        if path.hasPrefix("/api/v1/pp/devops") {
            return request.method == .get ? [.submitter, .auditor, .admin] : [.submitter, .admin]
        }
        if path.hasPrefix("/api/v1/tollgate/decisions") || path == "/audit" || path.hasPrefix("/audit/") { return [.auditor, .admin] }
        if path.hasPrefix("/api/v1/tollgate/tasks/"), request.method == .get { return [.submitter, .auditor, .admin] }
        if path.hasPrefix("/api/v1/tollgate/policies") {
            return request.method == .get ? [.policyAdmin, .auditor, .admin] : [.policyAdmin, .admin]
        }
        return [.admin]
    }
}
