import Foundation
import JWTKit
import TollgateJSON

/// The public keys of an OIDC issuer (RFC 7517), as served at its `jwks_uri`, held by jwt-kit,
/// which checks the signatures.
///
/// RSA keys (2048 bits or more) verify RS256/RS384/RS512, EC keys on P-256 and P-384 verify ES256
/// and ES384. Keys for encryption (`use: enc`) and of other types are skipped; a key jwt-kit
/// refuses (an RSA key under 2048 bits) is set aside with the reason, so a token it signed is
/// refused saying why.
struct JSONWebKeySet: Sendable {
    /// The usable keys by algorithm, each by key id (keys published without one get `#<index>`). A
    /// key that declares no `alg` is in the collection of every algorithm it fits, as jwt-kit ties
    /// each key to one algorithm once it is used.
    let collections: [String: JWTKeyCollection]
    /// Key ids with the algorithms each may verify.
    let algorithms: [String: Set<String>]
    /// Keys that are published but not used, with the reason.
    let refused: [String: String]

    static let rsaAlgorithms: Set<String> = ["RS256", "RS384", "RS512"]

    /// Reads a JWKS document; fails when it holds no usable signing key.
    static func read(_ json: JSONValue) async throws(KeySetError) -> JSONWebKeySet {
        guard let list = json["keys"]?.arrayValue else { throw KeySetError("not a JWKS document (no \"keys\" list)") }
        var collections: [String: JWTKeyCollection] = [:]
        var algorithms: [String: Set<String>] = [:]
        var refused: [String: String] = [:]
        for (index, entry) in list.enumerated() {
            guard case .object(var jwk) = entry else { throw KeySetError("keys[\(index)] is not an object") }
            if let use = jwk["use"]?.stringValue, use != "sig" { continue }
            let kid = jwk["kid"]?.stringValue ?? "#\(index)"
            jwk["kid"] = .string(kid)
            var fits: Set<String>
            switch (jwk["kty"]?.stringValue, jwk["crv"]?.stringValue) {
            case ("RSA", _): fits = rsaAlgorithms
            case ("EC", "P-256"): fits = ["ES256"]
            case ("EC", "P-384"): fits = ["ES384"]
            default: continue
            }
            if let declared = jwk["alg"]?.stringValue { fits.formIntersection([declared]) }
            guard !fits.isEmpty else { continue }
            if let bits = Self.modulusBits(jwk["n"]), bits < 2048 {
                refused[kid] = "RSA keys under 2048 bits are not accepted (this one has \(bits))"
                continue
            }
            do {
                for algorithm in fits.sorted() {
                    jwk["alg"] = .string(algorithm)
                    let key = try JSONDecoder().decode(JWK.self, from: Data(JSONValue.object(jwk).serialized().utf8))
                    let collection = collections[algorithm] ?? JWTKeyCollection()
                    try await collection.add(jwk: key, isDefault: collections[algorithm] == nil)
                    collections[algorithm] = collection
                }
                algorithms[kid] = fits
            } catch {
                refused[kid] = "not a valid public key (\(error))"
            }
        }
        guard !algorithms.isEmpty else {
            let why = refused.isEmpty ? "" : " (" + refused.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ") + ")"
            throw KeySetError("holds no usable RSA (2048 bits or more) or EC (P-256, P-384) signing key" + why)
        }
        return JSONWebKeySet(collections: collections, algorithms: algorithms, refused: refused)
    }

    /// Checks a JWKS document's shape without building keys (a key file is checked at start, so a
    /// broken one stops the start naming the key): each signing key has its parameters in base64url.
    static func check(_ json: JSONValue) throws(KeySetError) {
        guard let list = json["keys"]?.arrayValue else { throw KeySetError("not a JWKS document (no \"keys\" list)") }
        for (index, jwk) in list.enumerated() {
            if let use = jwk["use"]?.stringValue, use != "sig" { continue }
            let decodes = { (name: String) in jwk[name]?.stringValue.flatMap(Base64URL.decode) != nil }
            switch jwk["kty"]?.stringValue {
            case "RSA":
                guard decodes("n"), decodes("e") else { throw KeySetError("keys[\(index)]: an RSA key needs base64url n and e") }
            case "EC":
                guard decodes("x"), decodes("y") else { throw KeySetError("keys[\(index)]: an EC key needs base64url x and y") }
            default: continue
            }
        }
    }

    /// Whether some key may have signed a token with `keyId` (any key when nil) and `algorithm`.
    func hasCandidate(keyId: String?, algorithm: String) -> Bool {
        if let keyId { return algorithms[keyId]?.contains(algorithm) == true }
        return algorithms.values.contains { $0.contains(algorithm) }
    }

    /// The claims of `token` once its `algorithm` signature verifies with a key of the set.
    func verify(_ token: String, keyId: String?, algorithm: String) async throws(TokenRejection) -> JSONValue {
        guard let collection = collections[algorithm] else { throw TokenRejection("no key of the issuer is for \(algorithm)") }
        do {
            return try await collection.verify(token, as: VerifiedClaims.self, iteratingKeys: keyId == nil).claims
        } catch {
            throw TokenRejection("the signature does not verify")
        }
    }

    /// The size of an RSA key's modulus `n` (base64url), in bits.
    static func modulusBits(_ n: JSONValue?) -> Int? {
        guard let bytes = n?.stringValue.flatMap(Base64URL.decode) else { return nil }
        let significant = bytes.drop { $0 == 0 }
        guard let first = significant.first else { return 0 }
        return (significant.count - 1) * 8 + (8 - first.leadingZeroBitCount)
    }
}

/// A token's claims as jwt-kit hands them over once the signature verifies; Tollgate checks them
/// itself (issuer, audience, times) to say precisely what is wrong.
struct VerifiedClaims: JWTPayload {
    let claims: JSONValue

    init(from decoder: any Decoder) throws { claims = try JSONValue(from: decoder) }

    func encode(to encoder: any Encoder) throws { try claims.encode(to: encoder) }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// A JWKS document that cannot be used.
struct KeySetError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
