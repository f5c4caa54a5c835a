public import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import NIOCore
public import Synchronization
public import TollgateJSON
import _CryptoExtras

/// An OIDC issuer on loopback, shaped like GitLab's: its signing keys at
/// `GET /oauth/discovery/keys` (a JWKS document), and ID tokens signed with them.
///
/// Keys can be rotated: `rotate()` makes a new RSA key the signing key and publishes it next to
/// the old one, as an issuer does during a rollover.
public final class FakeIdentityProvider: Sendable {
    struct RSAKey: Sendable {
        let id: String
        let key: _RSA.Signing.PrivateKey
    }

    public let issuer: String
    /// How many times the key endpoint was read.
    public let keyFetches = Mutex(0)
    private let rsaKeys: Mutex<[RSAKey]>
    private let ecKeyBytes = P256.Signing.PrivateKey().rawRepresentation
    private var ecKey: P256.Signing.PrivateKey { try! P256.Signing.PrivateKey(rawRepresentation: ecKeyBytes) }
    /// Whether the RSA keys are published with `alg: RS256` (false: without `alg`, as some issuers
    /// publish them, so they serve RS256, RS384 and RS512).
    public let declaresAlgorithm = Mutex(true)
    /// Whether the key endpoint answers (false: 503).
    public let serving = Mutex(true)
    let server = LoopbackServer()

    public init() throws {
        issuer = server.address
        rsaKeys = Mutex([RSAKey(id: "rsa-1", key: try _RSA.Signing.PrivateKey(keySize: .bits2048))])
    }

    /// The key endpoint's address.
    public var keysURL: String { "\(issuer)/oauth/discovery/keys" }

    public func start(client: HTTPClient) async throws { try await server.start(router(), client: client) }
    public func stop() { server.stop() }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("oauth/discovery/keys") { [self] _, _ -> Response in
            keyFetches.withLock { $0 += 1 }
            guard serving.withLock({ $0 }) else { return Response(status: .serviceUnavailable) }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: try keySet().serialized())))
        }
        return router
    }

    /// The published keys as a JWKS document.
    public func keySet() throws -> JSONValue {
        var keys: [JSONValue] = []
        for rsa in rsaKeys.withLock({ $0 }) {
            let primitives = try rsa.key.publicKey.getKeyPrimitives()
            keys.append([
                "kty": "RSA", "kid": .string(rsa.id), "use": "sig", "alg": declaresAlgorithm.withLock { $0 } ? "RS256" : nil,
                "n": .string(Self.base64URL(primitives.modulus)), "e": .string(Self.base64URL(primitives.publicExponent)),
            ])
        }
        let raw = ecKey.publicKey.rawRepresentation
        keys.append([
            "kty": "EC", "kid": "ec-1", "use": "sig", "crv": "P-256",
            "x": .string(Self.base64URL(raw.prefix(32))), "y": .string(Self.base64URL(raw.suffix(32))),
        ])
        return ["keys": .array(keys)]
    }

    /// Publishes an RSA key of `bits` bits (too short to be trusted below 2048) under key id
    /// `rsa-<bits>`, without making it the signing key; tokens name it with `keyId`.
    public func publishShortKey(bits: Int) throws {
        let key = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: bits))
        rsaKeys.withLock { $0.insert(RSAKey(id: "rsa-\(bits)", key: key), at: 0) }
    }

    /// Adds a new RSA signing key (published alongside the old ones); returns its key id.
    @discardableResult
    public func rotate() throws -> String {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        return rsaKeys.withLock { keys in
            keys.append(RSAKey(id: "rsa-\(keys.count + 1)", key: key))
            return keys.last!.id
        }
    }

    /// Claims of a token valid for the next ten minutes, from this issuer, for `audience`.
    public func claims(audience: String = "tollgate", subject: String = "project_path:platform/app:ref_type:branch:ref:main") -> JSONObject {
        let now = Int64(Date().timeIntervalSince1970)
        return ["iss": .string(issuer), "aud": .string(audience), "sub": .string(subject), "iat": .int(now), "nbf": .int(now - 5), "exp": .int(now + 600)]
    }

    /// A signed token. `algorithm` is RS256 or RS384 (newest RSA key, or `keyId`) or ES256.
    public func token(_ claims: JSONObject, algorithm: String = "RS256", keyId: String? = nil) throws -> String {
        let rsa = rsaKeys.withLock { keys in keyId.flatMap { id in keys.first { $0.id == id } } ?? keys.last! }
        let kid = algorithm == "ES256" ? "ec-1" : rsa.id
        let header: JSONValue = ["alg": .string(algorithm), "typ": "JWT", "kid": .string(kid)]
        let input = Self.base64URL(Array(header.serialized().utf8)) + "." + Self.base64URL(Array(JSONValue.object(claims).serialized().utf8))
        let signature: [UInt8] =
            switch algorithm {
            case "ES256": Array(try ecKey.signature(for: Array(input.utf8)).rawRepresentation)
            case "RS384": Array(try rsa.key.signature(for: SHA384.hash(data: Array(input.utf8)), padding: .insecurePKCS1v1_5).rawRepresentation)
            default: Array(try rsa.key.signature(for: Array(input.utf8), padding: .insecurePKCS1v1_5).rawRepresentation)
            }
        return input + "." + Self.base64URL(signature)
    }

    /// Base64url without padding, as JOSE writes it.
    public static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
