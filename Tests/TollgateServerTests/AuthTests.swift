import Foundation
import NIOHTTP1
import Testing
import TollgateJSON
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// Each role against each endpoint family, over HTTP.
@Suite("Authentication and roles", .serialized)
struct AuthTests {
    static let tokens: [ServiceConfiguration.Token] = [
        .init(name: "ci", secret: "ci-secret", roles: [.submitter]),
        .init(name: "governance", secret: "gov-secret", roles: [.policyAdmin]),
        .init(name: "audit", secret: "audit-secret", roles: [.auditor]),
        .init(name: "root", secret: "admin-secret", roles: [.admin]),
    ]

    struct Case: Sendable, CustomTestStringConvertible {
        let method: HTTPMethod
        let path: String
        let body: JSONValue?
        /// Expected status per token name ("none" = no token).
        let expected: [String: Int]
        var testDescription: String { "\(method) \(path)" }
    }

    static let activity: JSONValue = [
        "dataProductId": "urn:org.opendatamesh:dataproducts:hello", "dataProductVersion": "1.0.0", "stage": "dev",
    ]

    static let cases: [Case] = [
        Case(method: .POST, path: "/api/v1/pp/devops/activities", body: activity,
             expected: ["none": 401, "ci": 201, "governance": 403, "audit": 403, "root": 422]),
        Case(method: .GET, path: "/api/v1/pp/devops/activities", body: nil,
             expected: ["none": 401, "ci": 200, "governance": 403, "audit": 200, "root": 200]),
        Case(method: .GET, path: "/api/v1/tollgate/policies", body: nil,
             expected: ["none": 401, "ci": 403, "governance": 200, "audit": 200, "root": 200]),
        Case(method: .POST, path: "/api/v1/tollgate/policies/reload", body: nil,
             expected: ["none": 401, "ci": 403, "governance": 200, "audit": 403, "root": 200]),
        Case(method: .GET, path: "/api/v1/tollgate/decisions?activityId=1", body: nil,
             expected: ["none": 401, "ci": 403, "governance": 403, "audit": 200, "root": 200]),
        Case(method: .GET, path: "/health", body: nil,
             expected: ["none": 200, "ci": 200, "governance": 200, "audit": 200, "root": 200]),
    ]

    @Test func theRoleMatrix() async throws {
        let f = try ServiceFixture(respond: { _ in nil })
        try await f.start(tokens: Self.tokens)
        defer { Task { try? await f.stop() } }
        let secrets = ["ci": "ci-secret", "governance": "gov-secret", "audit": "audit-secret", "root": "admin-secret"]
        for c in Self.cases {
            for who in ["none", "ci", "governance", "audit", "root"] {
                let (status, body) = try await f.call(c.method, c.path, body: c.body, bearer: secrets[who])
                #expect(status == c.expected[who], "\(who): \(c.method) \(c.path) -> \(status) \(body)")
            }
        }
        let (unknown, body) = try await f.call(.GET, "/api/v1/pp/devops/activities", bearer: "guess")
        #expect(unknown == 401)
        #expect(body["code"] == "40102")
        let (_, forbidden) = try await f.call(.POST, "/api/v1/tollgate/policies/reload", bearer: "ci-secret")
        #expect(forbidden["message"]?.stringValue?.contains("needs one of [admin, policy-admin]") == true)
    }
}

@Suite("Configuration")
struct ConfigurationTests {
    @Test func theDocumentedKeysAreRead() throws {
        let yaml = """
            server:    { host: 127.0.0.1, port: 8002, publicAddress: "http://127.0.0.1:8002" }
            database:  { path: ./tollgate.db }
            policies:  { directory: ./policies }
            registry:  { kind: odm, address: "http://127.0.0.1:8001" }
            executors:
              azure-devops: { kind: odm, address: "http://127.0.0.1:9003", checkAfterCallback: true }
              local:        { kind: local }
            notifications:
              - { kind: odm-observer, address: "http://127.0.0.1:9100" }
            auth:
              tokens:
                - { name: ci, token: { env: CI_TOKEN }, roles: [submitter] }
                - { name: audit, token: { env: AUDIT_TOKEN }, roles: [auditor, policy-admin] }
            """
        let c = try ServiceConfiguration(text: yaml, environment: ["CI_TOKEN": "t1", "AUDIT_TOKEN": "t2"])
        #expect(c.port == 8002)
        #expect(c.publicAddress == "http://127.0.0.1:8002")
        #expect(c.registry == .odm(address: "http://127.0.0.1:8001"))
        #expect(c.executors["azure-devops"] == .odm(address: "http://127.0.0.1:9003", checkAfterCallback: true))
        #expect(c.executors["local"] == .local)
        #expect(c.tokens.map(\.secret) == ["t1", "t2"])
        #expect(c.tokens[1].roles == [.auditor, .policyAdmin])
        #expect(c.notifications == [.odmObserver(address: "http://127.0.0.1:9100")])
    }

    @Test(arguments: [
        ("server: { port: 99999 }", "server.port: must be between 1 and 65535"),
        ("auth: { tokens: [ { name: ci, token: { env: MISSING }, roles: [submitter] } ] }", "auth.tokens[0].token: environment variable MISSING is not set"),
        ("executors: { x: { kind: jenkins } }", "executors.x.kind: unknown executor kind 'jenkins'"),
        ("registry: { kind: odm }", "registry.address: missing"),
        ("sever: { port: 1 }", "sever: unknown key"),
        ("auth: { tokens: [ { name: ci, token: abc, roles: [root] } ] }", "auth.tokens[0].roles: [0] unknown role 'root'"),
    ])
    func errorsNameTheKey(yaml: String, message: String) {
        do {
            _ = try ServiceConfiguration(text: yaml, environment: [:])
            Issue.record("accepted \(yaml)")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error)")
        }
    }

    @Test func listeningBeyondLoopbackNeedsAuthentication() throws {
        #expect(try ServiceConfiguration(text: "server: { host: 0.0.0.0 }", environment: [:]).listensSafely == false)
        #expect(try ServiceConfiguration(text: "server: { host: 127.0.0.1 }", environment: [:]).listensSafely)
    }
}
