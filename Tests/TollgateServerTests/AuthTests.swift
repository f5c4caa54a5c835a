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

    /// Who may call each documented operation: the expectation the server is held to.
    /// `admin` may call everything; "none" means no bearer token is needed.
    static let allowed: [String: Set<String>] = [
        "POST /api/v1/pp/devops/activities": ["ci"],
        "GET /api/v1/pp/devops/activities": ["ci", "audit"],
        "GET /api/v1/pp/devops/activities/{id}": ["ci", "audit"],
        "GET /api/v1/pp/devops/activities/{id}/status": ["ci", "audit"],
        "PATCH /api/v1/pp/devops/activities/{id}/status": ["ci"],
        "DELETE /api/v1/pp/devops/activities/{id}": ["ci"],
        "GET /api/v1/pp/devops/tasks": ["ci", "audit"],
        "GET /api/v1/pp/devops/tasks/{id}": ["ci", "audit"],
        "GET /api/v1/pp/devops/tasks/{id}/status": ["ci", "audit"],
        "PATCH /api/v1/pp/devops/tasks/{id}/status": ["ci"],
        "GET /api/v1/pp/devops/lifecycles": ["ci", "audit"],
        "GET /api/v1/pp/devops/lifecycles/{product}": ["ci", "audit"],
        "GET /api/v1/pp/devops/lifecycles/{product}/{version}": ["ci", "audit"],
        "GET /api/v1/pp/devops/lifecycles/{product}/{version}/current": ["ci", "audit"],
        "GET /api/v1/tollgate/policies": ["governance", "audit"],
        "POST /api/v1/tollgate/policies/reload": ["governance"],
        "POST /api/v1/tollgate/policies/evaluate": ["governance"],
        "GET /api/v1/tollgate/decisions": ["audit"],
        "GET /api/v1/tollgate/decisions/export": ["audit"],
        "GET /api/v1/tollgate/decisions/verify": ["audit"],
        "GET /api/v1/tollgate/decisions/{sequence}": ["audit"],
        "GET /api/v1/tollgate/tasks/{id}/history": ["ci", "audit"],
        "GET /audit": ["audit"],
        "GET /audit/decisions": ["audit"],
        "GET /audit/decisions/{sequence}": ["audit"],
        "GET /audit/activities/{id}": ["audit"],
        "GET /health": ["none", "ci", "governance", "audit"],
        "GET /metrics": ["audit"],
        "GET /openapi.json": ["none", "ci", "governance", "audit"],
    ]

    static let activity: JSONValue = [
        "dataProductId": "urn:org.opendatamesh:dataproducts:hello", "dataProductVersion": "1.0.0", "stage": "dev",
    ]

    /// A concrete request for a documented operation.
    static func request(_ operation: String) -> (HTTPMethod, String, JSONValue?) {
        let parts = operation.split(separator: " ", maxSplits: 1)
        var path = String(parts[1]).replacingOccurrences(of: "{id}", with: "1")
            .replacingOccurrences(of: "{product}", with: "urn:org.opendatamesh:dataproducts:hello")
            .replacingOccurrences(of: "{version}", with: "1.0.0").replacingOccurrences(of: "{sequence}", with: "1")
        var body: JSONValue?
        switch operation {
        case "POST /api/v1/pp/devops/activities": body = activity
        case "PATCH /api/v1/pp/devops/activities/{id}/status", "PATCH /api/v1/pp/devops/tasks/{id}/status": path += "?action=ABORT"
        case "POST /api/v1/tollgate/policies/evaluate":
            path += "?phase=STAGE_TRANSITION"
            body = ["activity": ["stage": "dev"]]
        case "GET /api/v1/tollgate/decisions": path += "?activityId=1"
        default: break
        }
        return (HTTPMethod(rawValue: String(parts[0])), path, body)
    }

    @Test func everyRoleAgainstEveryDocumentedOperation() async throws {
        #expect(Set(Self.allowed.keys) == Set(TollgateService.documentedOperations), "every operation has an expectation")
        let f = try ServiceFixture(respond: { _ in nil })
        try await f.start(tokens: Self.tokens)
        defer { Task { try? await f.stop() } }
        let secrets = ["ci": "ci-secret", "governance": "gov-secret", "audit": "audit-secret", "root": "admin-secret"]
        for operation in TollgateService.documentedOperations.sorted() {
            let (method, path, body) = Self.request(operation)
            for who in ["none", "ci", "governance", "audit", "root"] {
                let (status, answer) = try await f.call(method, path, body: body, bearer: secrets[who])
                let mayCall = who == "root" || Self.allowed[operation]?.contains(who) == true
                if mayCall {
                    #expect(status != 401 && status != 403, "\(who) may call \(operation): got \(status) \(answer)")
                } else {
                    #expect(status == (who == "none" ? 401 : 403), "\(who) may not call \(operation): got \(status) \(answer)")
                }
            }
        }
        let (unknown, body) = try await f.call(.GET, "/api/v1/pp/devops/activities", bearer: "guess")
        #expect(unknown == 401)
        #expect(body["code"] == "40102")
        let (_, forbidden) = try await f.call(.POST, "/api/v1/tollgate/policies/reload", bearer: "ci-secret")
        #expect(forbidden["message"]?.stringValue?.contains("needs one of [admin, policy-admin]") == true)
    }

    @Test func callbacksNeedTheTaskTokenNotABearerToken() async throws {
        let f = try ServiceFixture(respond: { _ in nil })
        try await f.start(tokens: Self.tokens)
        defer { Task { try? await f.stop() } }
        let (created, _) = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: Self.activity, bearer: "ci-secret")
        #expect(created == 201)
        let callback = "/api/v1/pp/devops/tasks/1/status?action=STOP"
        let result: JSONValue = ["status": "PROCESSED", "results": [:]]
        #expect(try await f.call(.PATCH, callback, body: result, bearer: "admin-secret").0 == 401, "a bearer token is no callback token")
        #expect(try await f.call(.PATCH, callback + "&token=forged", body: result).0 == 403)
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
        ("tasks: { timeoutSeconds: 0 }", "tasks.timeoutSeconds: must be a positive number of seconds"),
        ("decisions: { maskPaths: [ok.path, a..b] }", "decisions.maskPaths: [1] must be a dot-separated path"),
        ("auth: { tokens: [ { name: ci, token: abc, roles: [root] } ] }", "auth.tokens[0].roles: [0] unknown role 'root'"),
        ("auth: { oidc: { issuer: i, audience: a, jwks: { file: f, url: \"https://x\" }, roles: [] } }",
         "auth.oidc.jwks: needs exactly one of file"),
        ("auth: { oidc: { issuer: i, audience: a, jwks: { url: \"https://x\" }, roles: [] } }", "auth.oidc.roles: needs at least one rule"),
        ("auth: { oidc: { issuer: i, audience: a, jwks: { url: \"https://x\" }, roles: [ { claim: groups, value: g, roles: [boss] } ] } }",
         "auth.oidc.roles[0].roles: [0] unknown role 'boss'"),
        ("auth: { oidc: { audience: a, jwks: { url: \"https://x\" }, roles: [ { claim: groups, value: g, roles: [admin] } ] } }",
         "auth.oidc.issuer: missing"),
        ("auth: { oidc: { issuer: i, audience: a, jwks: { url: \"ftp://x\" }, roles: [ { claim: groups, value: g, roles: [admin] } ] } }",
         "auth.oidc.jwks.url: must be an https:// address (keys fetched over plain http could be swapped on the way; http is accepted on loopback only)"),
        ("auth: { oidc: { issuer: i, audience: a, jwks: { url: \"https://x\" }, group: g } }", "auth.oidc.group: unknown key"),
        ("executors: { g: { kind: gitlab, address: \"https://gitlab.example.com\" } }", "executors.g: needs token"),
        ("executors: { g: { kind: gitlab, address: gitlab.example.com, token: t } }", "executors.g.address: must be the instance's http(s) address"),
        ("executors: { g: { kind: gitlab, address: \"https://g\", token: { env: NOPE } } }", "executors.g.token: environment variable NOPE is not set"),
        ("executors: { g: { kind: gitlab, address: \"https://g\", token: t, pollSeconds: 0 } }", "executors.g.pollSeconds: must be a positive number"),
        ("executors: { a: { kind: azure-devops, organization: \"https://dev.azure.com/x\", token: t } }", "executors.a.project: missing"),
        ("executors: { a: { kind: azure-devops, organization: \"https://dev.azure.com/x\", project: p, token: t, tokenKind: basic } }",
         "executors.a.tokenKind: must be pat or bearer"),
    ])
    func errorsNameTheKey(yaml: String, message: String) {
        do {
            _ = try ServiceConfiguration(text: yaml, environment: [:])
            Issue.record("accepted \(yaml)")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error)")
        }
    }

    @Test(arguments: ["tollgate-ci.yaml", "tollgate-odm.yaml"])
    func theExampleConfigurationsAreValid(_ file: String) throws {
        let text = try String(contentsOfFile: RepositoryPaths.path("examples/config/\(file)"), encoding: .utf8)
        let environment = ["GITLAB_TOKEN": "g", "AZURE_DEVOPS_PAT": "a", "CI_TOKEN": "c", "AUDIT_TOKEN": "d", "HOOK_SECRET": "h"]
        let configuration = try ServiceConfiguration(text: text, environment: environment)
        if file == "tollgate-ci.yaml" {
            guard case .gitlab(let gitlab)? = configuration.executors["gitlab"] else { Issue.record("no gitlab executor"); return }
            #expect(gitlab.token == "g")
            #expect(gitlab.project == "platform/hello")
            #expect(gitlab.logLimitBytes == 262_144)
            guard case .azureDevOps(let azure)? = configuration.executors["azure"] else { Issue.record("no azure executor"); return }
            #expect(azure.token == "a")
            #expect(azure.organization == "https://dev.azure.com/contoso")
        }
    }

    @Test func anOIDCIssuerIsRead() throws {
        let yaml = """
            auth:
              oidc:
                issuer: https://gitlab.example.com
                audience: tollgate
                jwks: { url: https://gitlab.example.com/oauth/discovery/keys }
                nameClaim: user_login
                leewaySeconds: 30
                roles:
                  - { claim: groups, value: governance, roles: [policy-admin] }
                  - { claim: project_path, value: "platform/*", roles: [submitter, auditor] }
            """
        let oidc = try #require(try ServiceConfiguration(text: yaml, environment: [:]).oidc)
        #expect(oidc.issuer == "https://gitlab.example.com")
        #expect(oidc.audience == "tollgate")
        #expect(oidc.keys == .url("https://gitlab.example.com/oauth/discovery/keys"))
        #expect(oidc.nameClaim == "user_login")
        #expect(oidc.leewaySeconds == 30)
        #expect(oidc.roles == [
            RoleRule(claim: "groups", value: "governance", roles: [.policyAdmin]),
            RoleRule(claim: "project_path", value: "platform/*", roles: [.submitter, .auditor]),
        ])
        let open = try ServiceConfiguration(text: "server: { host: 0.0.0.0 }\n" + yaml, environment: [:])
        #expect(open.listensSafely, "an OIDC issuer is authentication enough to listen beyond loopback")
    }

    @Test func listeningBeyondLoopbackNeedsAuthentication() throws {
        #expect(try ServiceConfiguration(text: "server: { host: 0.0.0.0 }", environment: [:]).listensSafely == false)
        #expect(try ServiceConfiguration(text: "server: { host: 127.0.0.1 }", environment: [:]).listensSafely)
    }
}
