import Crypto

/// Signs and checks the per-task tokens carried by `callbackRef`, so only the executor Tollgate
/// handed a task to can report its result.
public struct CallbackTokens: Sendable {
    private let secret: [UInt8]

    /// Tokens signed with `secret` (keep it stable across restarts, or running tasks cannot call back).
    public init(secret: [UInt8]) { self.secret = secret }

    /// Tokens signed with a fresh random secret (valid for this process only).
    public static func random() -> CallbackTokens {
        CallbackTokens(secret: (0..<32).map { _ in UInt8.random(in: 0...255) })
    }

    /// The token for `taskId`.
    public func token(taskId: Int64) -> String {
        Base64URL.encode(HMAC<SHA256>.authenticationCode(for: Self.message(taskId), using: SymmetricKey(data: secret)))
    }

    /// Whether `token` was made for `taskId` (checked by the crypto library, in constant time).
    public func isValid(_ token: String, taskId: Int64) -> Bool {
        guard let code = Base64URL.decode(Substring(token)) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: Self.message(taskId), using: SymmetricKey(data: secret))
    }

    static func message(_ taskId: Int64) -> [UInt8] { Array("tollgate-callback:\(taskId)".utf8) }
}
