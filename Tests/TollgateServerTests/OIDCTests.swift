import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Synchronization
import Testing
import TollgateJSON
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// JWT bearer tokens from an OIDC issuer (a fake GitLab serving its JWKS), over real HTTP.
@Suite("OIDC bearer tokens", .serialized)
struct OIDCTests {
    static let rules = [
        RoleRule(claim: "project_path", value: "platform/*", roles: [.submitter]),
        RoleRule(claim: "groups", value: "governance", roles: [.policyAdmin]),
        RoleRule(claim: "groups", value: "audit", roles: [.auditor]),
    ]

    static func settings(_ issuer: FakeIdentityProvider, keys: OIDCSettings.Keys? = nil) -> OIDCSettings {
        var settings = OIDCSettings(issuer: issuer.issuer, audience: "tollgate", keys: keys ?? .url(issuer.keysURL), roles: rules)
        settings.minimumKeyRefresh = .milliseconds(1_000)
        return settings
    }

    /// Runs `body` against Tollgate trusting a fake issuer (started unless `issuerUp` is false).
    func withIssuer(
        issuerUp: Bool = true, keys: ((FakeIdentityProvider, ServiceFixture) throws -> OIDCSettings.Keys)? = nil,
        _ body: (FakeIdentityProvider, ServiceFixture) async throws -> Void
    ) async throws {
        let issuer = try FakeIdentityProvider()
        let f = try ServiceFixture(respond: DevOpsAPITests.walkthrough)
        if issuerUp { try await issuer.start(client: f.client) }
        try await f.start(oidc: Self.settings(issuer, keys: try keys?(issuer, f)))
        defer {
            issuer.stop()
            Task { try? await f.stop() }
        }
        try await body(issuer, f)
    }

    static let activity: JSONValue = [
        "dataProductId": "urn:org.opendatamesh:dataproducts:hello", "dataProductVersion": "1.0.0", "stage": "dev",
    ]

    @Test func gitLabIDTokensGetTheRolesOfTheirClaimsAndNameTheCallerInTheDecisionLog() async throws {
        try await withIssuer { issuer, f in
            var pipeline = issuer.claims()
            pipeline["project_path"] = "platform/app"
            let ci = try issuer.token(pipeline)
            let (created, activity) = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: Self.activity, bearer: ci)
            #expect(created == 201, "\(activity)")
            try await f.waitFor(activity: 1, status: "PROCESSED", bearer: ci)

            var person = issuer.claims(subject: "jdoe")
            person["groups"] = ["developers", "audit"]
            let auditor = try issuer.token(person, algorithm: "ES256")
            let (read, decisions) = try await f.call(.GET, "/api/v1/tollgate/decisions?activityId=1", bearer: auditor)
            #expect(read == 200, "\(decisions)")
            let principals = Set(decisions.arrayValue?.compactMap { $0["principal"]?.stringValue } ?? [])
            #expect(principals.contains("project_path:platform/app:ref_type:branch:ref:main"), "\(principals)")
            #expect(principals.contains("executor:azure-devops"), "task results are the executor's word")
            #expect(!principals.contains("anonymous"))

            let (refused, body) = try await f.call(.POST, "/api/v1/pp/devops/activities", body: Self.activity, bearer: auditor)
            #expect(refused == 403)
            #expect(body["message"]?.stringValue?.hasPrefix("jdoe has roles [auditor]") == true, "\(body)")

            var stranger = issuer.claims(subject: "mallory")
            stranger["project_path"] = "other/app"
            let (none, noRoles) = try await f.call(.GET, "/api/v1/pp/devops/activities", bearer: try issuer.token(stranger))
            #expect(none == 403)
            #expect(noRoles["message"]?.stringValue?.hasPrefix("mallory has roles []") == true, "\(noRoles)")
        }
    }

    @Test func forgedExpiredAndMisdirectedTokensAreRefusedWithTheReason() async throws {
        try await withIssuer { issuer, f in
            func claims(_ change: (inout JSONObject) -> Void) -> JSONObject {
                var c = issuer.claims()
                c["project_path"] = "platform/app"
                change(&c)
                return c
            }
            let now = Int64(Date().timeIntervalSince1970)
            let good = try issuer.token(claims { _ in })
            let parts = good.split(separator: ".").map(String.init)
            let otherAudience = try issuer.token(claims { $0["aud"] = "someone-else" })
            let header = { (json: String) in FakeIdentityProvider.base64URL(Array(json.utf8)) }
            let cases: [(String, String, String)] = [
                ("expired", try issuer.token(claims { $0["exp"] = .int(now - 3600) }), "expired at"),
                ("audience", otherAudience, "does not include tollgate"),
                ("issuer", try issuer.token(claims { $0["iss"] = "https://evil.example.com" }), "issuer https://evil.example.com is not"),
                ("not yet valid", try issuer.token(claims { $0["nbf"] = .int(now + 3600) }), "not valid before"),
                ("issued in the future", try issuer.token(claims { $0["iat"] = .int(now + 3600) }), "issued in the future"),
                ("no exp", try issuer.token(claims { $0["exp"] = nil }), "no exp claim"),
                ("claims swapped under a valid signature", parts[0] + "." + otherAudience.split(separator: ".")[1] + "." + parts[2], "signature does not verify"),
                ("alg none", header(#"{"alg":"none"}"#) + "." + parts[1] + ".", "the signature is missing"),
                ("alg none signed", header(#"{"alg":"none"}"#) + "." + parts[1] + "." + parts[2], "algorithm none is not accepted"),
                ("HS256 with the public key", header(#"{"alg":"HS256","kid":"rsa-1"}"#) + "." + parts[1] + "." + parts[2], "algorithm HS256 is not accepted"),
                ("unknown key", header(#"{"alg":"RS256","kid":"stolen"}"#) + "." + parts[1] + "." + parts[2], "no key of the issuer matches kid stolen"),
                ("RSA signature under the EC key", header(#"{"alg":"ES256","kid":"rsa-1"}"#) + "." + parts[1] + "." + parts[2], "no key of the issuer matches kid rsa-1 and ES256"),
                ("garbage", "a.b.c", "not base64url-encoded JSON"),
            ]
            for (name, token, reason) in cases {
                let (status, body) = try await f.call(.GET, "/api/v1/pp/devops/activities", bearer: token)
                #expect(status == 401, "\(name): \(status) \(body)")
                #expect(body["code"] == "40103", "\(name)")
                #expect(body["message"]?.stringValue?.contains(reason) == true, "\(name): \(body["message"] ?? .null)")
            }
            let (plain, body) = try await f.call(.GET, "/api/v1/pp/devops/activities", bearer: "not-a-jwt")
            #expect(plain == 401)
            #expect(body["code"] == "40102")
            #expect(try await f.call(.GET, "/api/v1/pp/devops/activities", bearer: good).0 == 200, "the untampered token passes")
        }
    }

    @Test func aRotatedKeyIsFetchedOnceAndMadeUpKeyIdsDoNotFloodTheIssuer() async throws {
        try await withIssuer { issuer, f in
            var claims = issuer.claims()
            claims["project_path"] = "platform/app"
            #expect(try await f.call(.GET, "/api/v1/pp/devops/activities", bearer: try issuer.token(claims)).0 == 200)
            #expect(issuer.keyFetches.withLock { $0 } == 1)
            for _ in 0..<5 {
                #expect(try await f.call(.GET, "/api/v1/pp/devops/activities", bearer: try issuer.token(claims)).0 == 200)
            }
            #expect(issuer.keyFetches.withLock { $0 } == 1, "known keys are not fetched again")

            try await Task.sleep(for: .milliseconds(1_050))
            try issuer.rotate()
            let rotated = try issuer.token(claims)
            #expect(try await f.call(.GET, "/api/v1/pp/devops/activities", bearer: rotated).0 == 200, "the new key is fetched")
            #expect(issuer.keyFetches.withLock { $0 } == 2)

            let parts = rotated.split(separator: ".").map(String.init)
            try await Task.sleep(for: .milliseconds(1_050))
            let began = ContinuousClock.now
            for i in 0..<10 {
                let madeUp = FakeIdentityProvider.base64URL(Array(#"{"alg":"RS256","kid":"made-up-\#(i)"}"#.utf8)) + "." + parts[1] + "." + parts[2]
                #expect(try await f.call(.GET, "/api/v1/pp/devops/activities", bearer: madeUp).0 == 401)
            }
            // At most one fetch per refresh limit (one second here), however many unknown key ids
            // come: one for ten requests on a quick machine, a few more when a busy one stretches them.
            let windows = Int((ContinuousClock.now - began) / .seconds(1)) + 1
            let fetches = issuer.keyFetches.withLock { $0 } - 2
            #expect(fetches >= 1 && fetches <= windows, "ten unknown key ids in \(windows) refresh windows caused \(fetches) fetches")
        }
    }

    @Test func anUnreachableIssuerIsAClearServiceErrorUntilItAnswers() async throws {
        try await withIssuer(issuerUp: false) { issuer, f in
            var claims = issuer.claims()
            claims["project_path"] = "platform/app"
            let token = try issuer.token(claims)
            let (down, body) = try await f.call(.GET, "/api/v1/pp/devops/activities", bearer: token)
            #expect(down == 503)
            #expect(body["code"] == "50310")
            #expect(body["message"]?.stringValue?.contains("the OIDC issuer's key endpoint is unreachable") == true, "\(body)")
            try await issuer.start(client: f.client)
            #expect(try await f.call(.GET, "/api/v1/pp/devops/activities", bearer: token).0 == 200)
        }
    }

    @Test func keysFromAFileNeedNoNetwork() async throws {
        let file = { (issuer: FakeIdentityProvider, f: ServiceFixture) throws -> OIDCSettings.Keys in
            .file(try f.directory.write("jwks.json", try issuer.keySet().serialized()))
        }
        try await withIssuer(issuerUp: false, keys: file) { issuer, f in
            var claims = issuer.claims()
            claims["groups"] = ["governance"]
            let (status, _) = try await f.call(.POST, "/api/v1/tollgate/policies/reload", bearer: try issuer.token(claims))
            #expect(status == 200)
            #expect(issuer.keyFetches.withLock { $0 } == 0)
        }
    }

    @Test func aBrokenKeyFileStopsTheStartNamingTheKey() throws {
        let directory = try TemporaryDirectory()
        try directory.write("jwks.json", #"{"keys":[{"kty":"RSA","kid":"k","n":"%%%","e":"AQAB"}]}"#)
        var configuration = ServiceConfiguration()
        configuration.database = .sqlite(path: directory.url("tollgate.db"))
        configuration.policies = RepositoryPaths.policies
        configuration.oidc = OIDCSettings(
            issuer: "https://gitlab.example.com", audience: "tollgate", keys: .file(directory.url("jwks.json")), roles: Self.rules)
        let client = TollgateService.makeHTTPClient()
        defer { Task { try? await client.shutdown() } }
        #expect {
            _ = try TollgateService(configuration: configuration, httpClient: client)
        } throws: { error in
            "\(error)".hasPrefix("auth.oidc.jwks.file: ") && "\(error)".contains("keys[0]: an RSA key needs base64url n and e")
        }
    }

    @Test func aTokenSignedWithAShortRSAKeyIsRefused() async throws {
        try await withIssuer { issuer, f in
            try issuer.publishShortKey(bits: 1024)
            var claims = issuer.claims()
            claims["groups"] = ["governance"]
            let (status, body) = try await f.call(.POST, "/api/v1/tollgate/policies/reload", bearer: try issuer.token(claims, keyId: "rsa-1024"))
            #expect(status == 401)
            #expect(body["message"] == "the bearer token was refused: the issuer's key rsa-1024 is not used: RSA keys under 2048 bits are not accepted (this one has 1024)")
            let (ok, _) = try await f.call(.POST, "/api/v1/tollgate/policies/reload", bearer: try issuer.token(claims, keyId: "rsa-1"))
            #expect(ok == 200, "the issuer's other keys still serve")
        }
    }

    @Test func aKeyPublishedWithoutAlgorithmServesEachRSAAlgorithm() async throws {
        try await withIssuer { issuer, f in
            issuer.declaresAlgorithm.withLock { $0 = false }
            var claims = issuer.claims()
            claims["groups"] = ["governance"]
            // The same key, used first with RS256, then with RS384, then with RS256 again.
            for algorithm in ["RS256", "RS384", "RS256"] {
                let (status, body) = try await f.call(
                    .POST, "/api/v1/tollgate/policies/reload", bearer: try issuer.token(claims, algorithm: algorithm))
                #expect(status == 200, "\(algorithm): \(body)")
            }
        }
    }

    @Test(arguments: [
        ("http://gitlab.example.com/oauth/discovery/keys", false), ("https://gitlab.example.com/oauth/discovery/keys", true),
        ("http://127.0.0.1:8080/keys", true), ("http://localhost/keys", true), ("http://[::1]:9/keys", true),
        ("http://127.0.0.1.evil.example/keys", false), ("http://localhost.evil.example/keys", false),
    ])
    func keySetsComeOverHTTPSExceptOnLoopback(url: String, accepted: Bool) throws {
        let yaml = """
            auth:
              oidc:
                issuer: "https://gitlab.example.com"
                audience: tollgate
                jwks: { url: "\(url)" }
                roles: [{ claim: groups, value: governance, roles: [policy-admin] }]
            """
        do {
            _ = try ServiceConfiguration(text: yaml)
            #expect(accepted, "\(url) was accepted")
        } catch {
            #expect(!accepted, "\(url): \(error)")
            #expect("\(error)".contains("must be an https:// address"))
        }
    }
}
