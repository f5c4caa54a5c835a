import Crypto
import _CryptoExtras
import TollgateJSON

/// The public keys of an OIDC issuer (RFC 7517), as served at its `jwks_uri`.
///
/// RSA keys verify RS256/RS384/RS512, EC keys on P-256 and P-384 verify ES256 and ES384. Keys
/// for encryption (`use: enc`) and of other types are skipped; a key that declares `alg` is only
/// used with that algorithm.
struct JSONWebKeySet: Sendable {
    struct Key: Sendable {
        let id: String?
        let declaredAlgorithm: String?
        let material: Material

        enum Material: Sendable {
            case rsa(_RSA.Signing.PublicKey)
            /// The raw `x || y` of a P-256 key, checked to be a curve point when read.
            case p256([UInt8])
            /// The raw `x || y` of a P-384 key, checked to be a curve point when read.
            case p384([UInt8])
        }

        /// Whether this key can check `algorithm` signatures.
        func fits(_ algorithm: String) -> Bool {
            if let declaredAlgorithm, declaredAlgorithm != algorithm { return false }
            switch material {
            case .rsa: return ["RS256", "RS384", "RS512"].contains(algorithm)
            case .p256: return algorithm == "ES256"
            case .p384: return algorithm == "ES384"
            }
        }

        func verifies(_ signature: [UInt8], over input: [UInt8], algorithm: String) -> Bool {
            guard fits(algorithm) else { return false }
            switch material {
            case .rsa(let key):
                let rsa = _RSA.Signing.RSASignature(rawRepresentation: signature)
                switch algorithm {
                case "RS256": return key.isValidSignature(rsa, for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
                case "RS384": return key.isValidSignature(rsa, for: SHA384.hash(data: input), padding: .insecurePKCS1v1_5)
                default: return key.isValidSignature(rsa, for: SHA512.hash(data: input), padding: .insecurePKCS1v1_5)
                }
            case .p256(let raw):
                guard let key = try? P256.Signing.PublicKey(rawRepresentation: raw),
                    let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature)
                else { return false }
                return key.isValidSignature(ecdsa, for: SHA256.hash(data: input))
            case .p384(let raw):
                guard let key = try? P384.Signing.PublicKey(rawRepresentation: raw),
                    let ecdsa = try? P384.Signing.ECDSASignature(rawRepresentation: signature)
                else { return false }
                return key.isValidSignature(ecdsa, for: SHA384.hash(data: input))
            }
        }
    }

    let keys: [Key]

    /// Reads a JWKS document; fails when it holds no usable signing key.
    init(json: JSONValue) throws(KeySetError) {
        guard let list = json["keys"]?.arrayValue else { throw KeySetError("not a JWKS document (no \"keys\" list)") }
        var keys: [Key] = []
        for (index, jwk) in list.enumerated() {
            if let use = jwk["use"]?.stringValue, use != "sig" { continue }
            let material: Key.Material
            do {
                switch jwk["kty"]?.stringValue {
                case "RSA":
                    guard let n = jwk["n"]?.stringValue.flatMap(Base64URL.decode), let e = jwk["e"]?.stringValue.flatMap(Base64URL.decode)
                    else { throw KeySetError("keys[\(index)]: an RSA key needs base64url n and e") }
                    material = .rsa(try _RSA.Signing.PublicKey(n: n, e: e))
                case "EC":
                    guard let x = jwk["x"]?.stringValue.flatMap(Base64URL.decode), let y = jwk["y"]?.stringValue.flatMap(Base64URL.decode)
                    else { throw KeySetError("keys[\(index)]: an EC key needs base64url x and y") }
                    switch jwk["crv"]?.stringValue {
                    case "P-256":
                        _ = try P256.Signing.PublicKey(rawRepresentation: x + y)
                        material = .p256(x + y)
                    case "P-384":
                        _ = try P384.Signing.PublicKey(rawRepresentation: x + y)
                        material = .p384(x + y)
                    default: continue
                    }
                default: continue
                }
            } catch let error as KeySetError {
                throw error
            } catch {
                throw KeySetError("keys[\(index)]: not a valid public key (\(error))")
            }
            keys.append(Key(id: jwk["kid"]?.stringValue, declaredAlgorithm: jwk["alg"]?.stringValue, material: material))
        }
        guard !keys.isEmpty else { throw KeySetError("holds no RSA or EC (P-256, P-384) signing key") }
        self.keys = keys
    }

    /// The keys that may have signed a token with `keyId` and `algorithm`.
    func candidates(keyId: String?, algorithm: String) -> [Key] {
        keys.filter { $0.fits(algorithm) && (keyId == nil || $0.id == keyId) }
    }
}

/// A JWKS document that cannot be used.
struct KeySetError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
