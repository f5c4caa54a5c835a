import Crypto
import Foundation
import HTTPTypes
import NIOCore
public import Hummingbird
import TollgateLifecycle

/// Authenticates bearer tokens and checks the caller's roles against the endpoint.
///
/// Two kinds of bearer token are accepted: tokens from the configuration (kept as SHA-256
/// digests, compared in constant time) and, when `auth.oidc` is set, JWTs of that issuer. A token
/// may also come as the password of `Basic` authentication, which browsers on the auditor's pages
/// (`/audit`, which asks for it) send.
/// Executors never use bearer tokens: their callbacks carry the per-task token of `callbackRef`.
/// With no authentication configured every request is allowed (the server then listens on
/// loopback only).
public struct AuthMiddleware: RouterMiddleware {
    public typealias Context = TollgateRequestContext

    struct Credential: Sendable {
        let name: String
        let digest: [UInt8]
        let roles: Set<Role>
    }

    let credentials: [Credential]
    let oidc: OIDCAuthenticator?

    init(tokens: [ServiceConfiguration.Token], oidc: OIDCAuthenticator?) {
        credentials = tokens.map { Credential(name: $0.name, digest: Self.digest($0.secret), roles: Set($0.roles)) }
        self.oidc = oidc
    }

    static func digest(_ secret: String) -> [UInt8] { Array(SHA256.hash(data: Array(secret.utf8))) }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !credentials.isEmpty || oidc != nil, let allowed = EndpointRoles.roles(for: request) else {
            return try await next(request, context)
        }
        let header = request.headers[.authorization]
        let bearer: String
        // The scheme is case-insensitive (RFC 9110 §11.1).
        if let header, header.count > 7, header.prefix(7).lowercased() == "bearer " {
            bearer = String(header.dropFirst("Bearer ".count))
        } else if let header, header.prefix(6).lowercased() == "basic ", let password = Self.basicPassword(header) {
            // Browsers on the auditor's pages: any user name, the token as password. A browser sends
            // Basic credentials with every request to the site, cross-site ones too, so they are
            // taken only for reading those pages; everything else needs a bearer token.
            guard Self.acceptsBasic(request) else {
                throw ODMError(
                    status: .unauthorized, code: "40104", summary: "Basic authentication not allowed here",
                    message: "Basic authentication is only for reading the auditor's pages (GET /audit…); "
                        + "\(request.method) \(request.uri.path) needs Authorization: Bearer <token>")
            }
            bearer = password
        } else {
            if request.uri.path.hasPrefix("/audit") {
                return Response(
                    status: .unauthorized, headers: [.wwwAuthenticate: "Basic realm=\"Tollgate audit\", charset=\"UTF-8\""],
                    body: .init(byteBuffer: ByteBuffer(string: "Sign in with any user name and an auditor's token as the password.\n")))
            }
            throw ODMError(
                status: .unauthorized, code: "40100", summary: "Authentication required",
                message: "send Authorization: Bearer <token> (a token from the auth section of the configuration"
                    + (oidc.map { ", or an ID token of \($0.settings.issuer))" } ?? ")"))
        }
        let (caller, roles) = try await authenticate(bearer)
        guard !roles.isDisjoint(with: allowed) else {
            throw ODMError(
                status: .forbidden, code: "40300", summary: "Role not allowed",
                message: "\(caller.name) has roles [\(roles.map(\.rawValue).sorted().joined(separator: ", "))]; "
                    + "\(request.method) \(request.uri.path) needs one of [\(allowed.map(\.rawValue).sorted().joined(separator: ", "))]")
        }
        var context = context
        context.caller = caller
        return try await next(request, context)
    }

    /// The caller `bearer` names and its roles, or the reason it is refused.
    func authenticate(_ bearer: String) async throws -> (Principal, Set<Role>) {
        let given = Self.digest(bearer)
        var found: Credential?
        for credential in credentials where Self.constantTimeEqual(credential.digest, given) {
            found = credential
        }
        if let found { return (Principal(name: found.name, roles: found.roles.map(\.rawValue).sorted()), found.roles) }
        guard let oidc, bearer.contains(".") else {
            throw ODMError(status: .unauthorized, code: "40102", summary: "Token not recognised", message: "the bearer token is not one this server knows")
        }
        do {
            return try await oidc.authenticate(bearer)
        } catch let rejection as TokenRejection {
            throw ODMError(
                status: .unauthorized, code: "40103", summary: "Token rejected",
                message: "the bearer token was refused: \(rejection)")
        } catch let unavailable as OIDCAuthenticator.KeysUnavailable {
            throw ODMError(status: .serviceUnavailable, code: "50310", summary: "Token keys unavailable", message: unavailable.description)
        }
    }

    /// Whether `request` may authenticate with Basic: a read of the auditor's pages.
    static func acceptsBasic(_ request: Request) -> Bool {
        (request.method == .get || request.method == .head) && (request.uri.path == "/audit" || request.uri.path.hasPrefix("/audit/"))
    }

    /// The password of a `Basic` authorization header.
    static func basicPassword(_ header: String) -> String? {
        guard let data = Data(base64Encoded: String(header.dropFirst("Basic ".count))),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return String(text[text.index(after: colon)...])
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
