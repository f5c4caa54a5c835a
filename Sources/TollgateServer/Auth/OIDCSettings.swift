/// JWT bearer tokens from an OIDC issuer (GitLab, Keycloak, …): whose tokens count, where their
/// keys are, and which claims grant which roles.
///
/// ```yaml
/// auth:
///   oidc:
///     issuer: https://gitlab.example.com
///     audience: tollgate
///     jwks: { url: https://gitlab.example.com/oauth/discovery/keys }   # or { file: ./jwks.json }
///     nameClaim: sub            # names the caller in the decision log
///     leewaySeconds: 60         # clock skew allowed on exp, nbf and iat
///     roles:
///       - { claim: groups, value: governance, roles: [policy-admin] }
///       - { claim: project_path, value: "platform/*", roles: [submitter] }
/// ```
public struct OIDCSettings: Sendable, Equatable {
    /// Where the issuer's public keys come from.
    public enum Keys: Sendable, Equatable {
        /// A JWKS document on disk, read at start.
        case file(String)
        /// The issuer's JWKS endpoint, fetched on first use and again when a token names a key
        /// not seen yet (key rotation) or the copy is older than an hour.
        case url(String)
    }

    /// The exact `iss` a token must carry.
    public var issuer: String
    /// The value `aud` must be or contain.
    public var audience: String
    public var keys: Keys
    /// The claim whose value names the caller in the decision log.
    public var nameClaim = "sub"
    /// Clock skew tolerated on `exp`, `nbf` and `iat`.
    public var leewaySeconds = 60
    /// Claim rules; a token gets the roles of every rule it matches.
    public var roles: [RoleRule] = []
    /// The shortest time between two key fetches prompted by tokens naming an unknown key, so
    /// made-up key ids cannot flood the issuer.
    public var minimumKeyRefresh: Duration = .seconds(5)

    public init(issuer: String, audience: String, keys: Keys, roles: [RoleRule]) {
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.roles = roles
    }
}

/// Grants `roles` to tokens whose `claim` is `value` (or, for a list claim such as `groups`,
/// contains it). A value ending in `*` matches by prefix: `platform/*`.
public struct RoleRule: Sendable, Equatable {
    public var claim: String
    public var value: String
    public var roles: [Role]

    public init(claim: String, value: String, roles: [Role]) {
        self.claim = claim
        self.value = value
        self.roles = roles
    }

    func matches(_ claimValue: String) -> Bool {
        value.hasSuffix("*") ? claimValue.hasPrefix(value.dropLast()) : claimValue == value
    }
}
