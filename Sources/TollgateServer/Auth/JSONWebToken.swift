import TollgateJSON

/// The header of a JWT in compact serialization, read before the token is trusted: which
/// algorithm and key it claims, so a token is refused for them before any key is used.
struct JSONWebToken {
    let header: JSONValue

    /// The longest token read; longer ones are refused before any decoding.
    static let maximumLength = 16 << 10

    init(compact text: String) throws(TokenRejection) {
        guard text.utf8.count <= Self.maximumLength else { throw TokenRejection("longer than \(Self.maximumLength) bytes") }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw TokenRejection("not a JWT (expected three dot-separated parts)") }
        guard let headerBytes = Base64URL.decode(parts[0]), let header = try? JSONValue.parse(headerBytes), header.objectValue != nil
        else { throw TokenRejection("the header is not base64url-encoded JSON") }
        guard Base64URL.decode(parts[1]) != nil else { throw TokenRejection("the claims are not base64url-encoded") }
        guard let signature = Base64URL.decode(parts[2]), !signature.isEmpty else { throw TokenRejection("the signature is missing") }
        self.header = header
    }

    var algorithm: String? { header["alg"]?.stringValue }
    var keyId: String? { header["kid"]?.stringValue }
}

/// Why a bearer token was not accepted; the text is safe to show the caller.
struct TokenRejection: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
