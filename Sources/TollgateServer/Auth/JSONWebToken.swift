import TollgateJSON

/// A JWT in compact serialization, split and decoded but not yet trusted.
struct JSONWebToken {
    let header: JSONValue
    let claims: JSONValue
    /// `base64url(header) "." base64url(claims)`: the bytes the signature covers.
    let signingInput: [UInt8]
    let signature: [UInt8]

    /// The longest token read; longer ones are refused before any decoding.
    static let maximumLength = 16 << 10

    init(compact text: String) throws(TokenRejection) {
        guard text.utf8.count <= Self.maximumLength else { throw TokenRejection("longer than \(Self.maximumLength) bytes") }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw TokenRejection("not a JWT (expected three dot-separated parts)") }
        guard let headerBytes = Base64URL.decode(parts[0]), let header = try? JSONValue.parse(headerBytes), header.objectValue != nil
        else { throw TokenRejection("the header is not base64url-encoded JSON") }
        guard let claimBytes = Base64URL.decode(parts[1]), let claims = try? JSONValue.parse(claimBytes), claims.objectValue != nil
        else { throw TokenRejection("the claims are not base64url-encoded JSON") }
        guard let signature = Base64URL.decode(parts[2]), !signature.isEmpty else { throw TokenRejection("the signature is missing") }
        self.header = header
        self.claims = claims
        self.signingInput = Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8)
        self.signature = signature
    }

    var algorithm: String? { header["alg"]?.stringValue }
    var keyId: String? { header["kid"]?.stringValue }
}

/// Why a bearer token was not accepted; the text is safe to show the caller.
struct TokenRejection: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
