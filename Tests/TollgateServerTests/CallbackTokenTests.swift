import Crypto
import Foundation
import Testing
import TollgateServer

@Suite("Callback tokens")
struct CallbackTokenTests {
    let secret = Array("a secret of thirty-two bytes....".utf8)

    @Test func aTokenIsTheTasksHMACInURLSafeBase64() {
        let tokens = CallbackTokens(secret: secret)
        for taskId in [Int64(1), 7, 42, 1_000, 65_535, 9_007_199_254_740_993] {
            let mac = HMAC<SHA256>.authenticationCode(for: Array("tollgate-callback:\(taskId)".utf8), using: SymmetricKey(data: secret))
            let expected = Data(mac).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(tokens.token(taskId: taskId) == expected)
            #expect(tokens.isValid(expected, taskId: taskId))
        }
    }

    @Test func anotherTasksOrAnotherSecretsTokenIsRefused() {
        let tokens = CallbackTokens(secret: secret)
        #expect(!tokens.isValid(tokens.token(taskId: 2), taskId: 3))
        #expect(!tokens.isValid(CallbackTokens.random().token(taskId: 3), taskId: 3))
        #expect(!tokens.isValid(String(tokens.token(taskId: 3).dropLast()), taskId: 3))
        #expect(!tokens.isValid("", taskId: 3))
    }
}
