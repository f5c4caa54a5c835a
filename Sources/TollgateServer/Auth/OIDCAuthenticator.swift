import Foundation
import TollgateJSON
import TollgateLifecycle

/// Checks JWT bearer tokens of one OIDC issuer and maps their claims to roles.
///
/// A token is accepted when its signature verifies with one of the issuer's keys (RS256/384/512
/// with RSA keys of 2048 bits or more, ES256/384; never `none` or a shared-secret algorithm),
/// checked by jwt-kit, `iss` is the issuer, `aud` names the
/// audience, `exp` has not passed and `nbf`/`iat` are not in the future, all within the leeway.
final class OIDCAuthenticator: Sendable {
    /// Why a token could not be checked at all (as opposed to being rejected).
    struct KeysUnavailable: Error, CustomStringConvertible {
        let description: String
    }

    let settings: OIDCSettings
    let keys: KeySetCache
    let now: @Sendable () -> Date

    init(settings: OIDCSettings, keys: KeySetCache, now: @escaping @Sendable () -> Date = Date.init) {
        self.settings = settings
        self.keys = keys
        self.now = now
    }

    /// Builds the authenticator; a JWKS file is read now, so a bad one stops the start.
    convenience init(settings: OIDCSettings, http: OutboundHTTP) throws(ConfigurationError) {
        let source: KeySetCache.Source
        switch settings.keys {
        case .url(let url):
            source = .remote(url: url, http: http)
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError(key: "auth.oidc.jwks.file", message: "cannot read \(path)")
            }
            guard let json = try? JSONValue.parse(Array(data)) else {
                throw ConfigurationError(key: "auth.oidc.jwks.file", message: "\(path) is not JSON")
            }
            do {
                try JSONWebKeySet.check(json)
            } catch {
                throw ConfigurationError(key: "auth.oidc.jwks.file", message: "\(path): \(error)")
            }
            source = .file(path: path, json: json)
        }
        self.init(settings: settings, keys: KeySetCache(source: source, minimumRefresh: settings.minimumKeyRefresh))
    }

    /// The caller a valid token names, with the roles its claims grant (possibly none).
    func authenticate(_ text: String) async throws -> (principal: Principal, roles: Set<Role>) {
        let token = try JSONWebToken(compact: text)
        guard let algorithm = token.algorithm else { throw TokenRejection("the header names no algorithm") }
        guard ["RS256", "RS384", "RS512", "ES256", "ES384"].contains(algorithm) else {
            throw TokenRejection("algorithm \(algorithm) is not accepted (RS256, RS384, RS512, ES256, ES384)")
        }
        if token.header["crit"] != nil { throw TokenRejection("critical header extensions are not supported") }
        let claims = try await verifySignature(text, token, algorithm: algorithm)
        try checkClaims(claims)
        guard let name = Self.text(of: claims[settings.nameClaim]) else {
            throw TokenRejection("the token has no \(settings.nameClaim) claim to name the caller")
        }
        var roles: Set<Role> = []
        for rule in settings.roles where Self.values(of: claims[rule.claim]).contains(where: rule.matches) {
            roles.formUnion(rule.roles)
        }
        return (Principal(name: name, roles: roles.map(\.rawValue).sorted()), roles)
    }

    /// The token's claims once its signature verifies (checked by jwt-kit with the issuer's keys).
    private func verifySignature(_ text: String, _ token: JSONWebToken, algorithm: String) async throws -> JSONValue {
        var keySet: JSONWebKeySet
        do {
            keySet = try await keys.keys()
            if !keySet.hasCandidate(keyId: token.keyId, algorithm: algorithm) {
                keySet = try await keys.keys(missing: true)
            }
        } catch {
            throw KeysUnavailable(
                description: "cannot check bearer tokens now: \(error); check auth.oidc.jwks and that the issuer is reachable (tokens are checked again on the next request)")
        }
        guard keySet.hasCandidate(keyId: token.keyId, algorithm: algorithm) else {
            if let keyId = token.keyId, let reason = keySet.refused[keyId] {
                throw TokenRejection("the issuer's key \(keyId) is not used: \(reason)")
            }
            throw TokenRejection("no key of the issuer matches kid \(token.keyId ?? "(none)") and \(algorithm)")
        }
        return try await keySet.verify(text, keyId: token.keyId, algorithm: algorithm)
    }

    private func checkClaims(_ claims: JSONValue) throws(TokenRejection) {
        guard claims["iss"]?.stringValue == settings.issuer else {
            throw TokenRejection("issuer \(Self.text(of: claims["iss"]) ?? "(none)") is not \(settings.issuer)")
        }
        guard Self.values(of: claims["aud"]).contains(settings.audience) else {
            throw TokenRejection("audience \(claims["aud"]?.serialized() ?? "(none)") does not include \(settings.audience)")
        }
        let now = now().timeIntervalSince1970
        let leeway = Double(settings.leewaySeconds)
        guard let expiry = claims["exp"]?.doubleValue else { throw TokenRejection("the token has no exp claim") }
        guard now <= expiry + leeway else { throw TokenRejection("expired at \(Self.timestamp(expiry))") }
        if let notBefore = claims["nbf"]?.doubleValue, now + leeway < notBefore {
            throw TokenRejection("not valid before \(Self.timestamp(notBefore))")
        }
        if let issuedAt = claims["iat"]?.doubleValue, now + leeway < issuedAt {
            throw TokenRejection("issued in the future (\(Self.timestamp(issuedAt)))")
        }
    }

    /// A claim as text: strings as they are, numbers and booleans spelled out.
    static func text(of claim: JSONValue?) -> String? {
        switch claim {
        case .string(let s)?: s
        case .bool(let b)?: b ? "true" : "false"
        case let value? where value.doubleValue != nil: value.serialized()
        default: nil
        }
    }

    /// The texts of a claim that is one value or a list of them.
    static func values(of claim: JSONValue?) -> [String] {
        if let list = claim?.arrayValue { return list.compactMap { text(of: $0) } }
        return text(of: claim).map { [$0] } ?? []
    }

    static func timestamp(_ seconds: Double) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: seconds))
    }
}
