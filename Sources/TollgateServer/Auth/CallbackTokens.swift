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
        Base64URL.encode(HMAC<SHA256>.authenticationCode(for: Array("tollgate-callback:\(taskId)".utf8), using: SymmetricKey(data: secret)))
    }

    /// Whether `token` was made for `taskId` (compared in constant time).
    public func isValid(_ token: String, taskId: Int64) -> Bool {
        let expected = Array(self.token(taskId: taskId).utf8)
        let given = Array(token.utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for i in expected.indices { difference |= expected[i] ^ given[i] }
        return difference == 0
    }
}
