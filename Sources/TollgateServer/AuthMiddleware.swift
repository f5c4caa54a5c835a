import Crypto
import Foundation
import HTTPTypes
public import Hummingbird

/// Bearer tokens from the configuration, and what each role may reach.
///
/// Tokens are kept as SHA-256 digests and compared in constant time. Executors never use bearer
/// tokens: their callbacks carry the per-task token of `callbackRef`. With no tokens configured,
/// every request is allowed (the server then listens on loopback only).
public struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    struct Credential: Sendable {
        let name: String
        let digest: [UInt8]
        let roles: Set<Role>
    }

    let credentials: [Credential]

    public init(tokens: [ServiceConfiguration.Token]) {
        credentials = tokens.map { Credential(name: $0.name, digest: Self.digest($0.secret), roles: Set($0.roles)) }
    }

    static func digest(_ secret: String) -> [UInt8] { Array(SHA256.hash(data: Array(secret.utf8))) }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !credentials.isEmpty, let allowed = Self.roles(for: request) else {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw ODMError(
                status: .unauthorized, code: "40100", summary: "Authentication required",
                message: "send Authorization: Bearer <token> (a token from the auth section of the configuration)")
        }
        let given = Self.digest(String(header.dropFirst("Bearer ".count)))
        guard let credential = credentials.first(where: { Self.constantTimeEqual($0.digest, given) }) else {
            throw ODMError(status: .unauthorized, code: "40102", summary: "Token not recognised", message: "the bearer token is not one this server knows")
        }
        guard !credential.roles.isDisjoint(with: allowed) else {
            throw ODMError(
                status: .forbidden, code: "40300", summary: "Role not allowed",
                message: "token '\(credential.name)' has roles [\(credential.roles.map(\.rawValue).sorted().joined(separator: ", "))]; "
                    + "\(request.method) \(request.uri.path) needs one of [\(allowed.map(\.rawValue).sorted().joined(separator: ", "))]")
        }
        return try await next(request, context)
    }

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
        if path.hasPrefix("/api/v1/tollgate/decisions") { return [.auditor, .admin] }
        if path.hasPrefix("/api/v1/tollgate/policies") {
            return request.method == .get ? [.policyAdmin, .auditor, .admin] : [.policyAdmin, .admin]
        }
        return [.admin]
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
