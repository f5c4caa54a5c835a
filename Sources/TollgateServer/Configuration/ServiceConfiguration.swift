public import Foundation
import Logging
import TollgateJSON
public import TollgatePolicy
import TollgateRuntime

/// `tollgate.yaml`: everything `tollgate serve` needs. Secrets are `{ env: NAME }` references.
///
/// ```yaml
/// server:    { host: 127.0.0.1, port: 8002, publicAddress: "http://127.0.0.1:8002", maxConnections: 1000,
///              idleTimeoutSeconds: 30, bodyTimeoutSeconds: 30, log: { level: info, format: text } }   # or format: json
/// database:  { path: ./tollgate.db }     # or { kind: postgres, url: { env: TOLLGATE_DATABASE_URL }, pool: 8, schema: tollgate }
/// policies:  { directory: ./policies, deadlineMilliseconds: 1000 }   # also instructionBudget, memoryBytes
/// tasks:     { timeoutSeconds: 3600 }    # unless a task's template definition says otherwise
/// registry:  { kind: directory, path: ./descriptors }        # or { kind: odm, address: "http://…" }
/// executors:
///   azure-devops: { kind: odm, address: "http://127.0.0.1:9003", checkAfterCallback: false }
///   local:        { kind: local }
/// auth:
///   tokens:
///     - { name: ci, token: { env: CI_TOKEN }, roles: [submitter] }
///   oidc: { issuer: …, audience: …, jwks: { url: … }, roles: [ … ] }   # see OIDCSettings
/// ```
public struct ServiceConfiguration: Sendable {
    /// How descriptors are found.
    public enum Registry: Sendable, Equatable {
        case directory(path: String)
        case odm(address: String)
        case gitlab(GitLabDescriptorSource.Settings)
    }

    /// Where the lifecycle's state is kept.
    public enum Database: Sendable, Equatable {
        /// One SQLite file, for one process (the embedded default).
        case sqlite(path: String)
        /// A PostgreSQL database shared by every replica (`url` is a secret: `{ env: NAME }`).
        case postgres(url: String, pool: Int, schema: String)
    }

    /// One configured executor.
    public enum Executor: Sendable, Equatable {
        case odm(address: String, checkAfterCallback: Bool)
        case local
        case gitlab(GitLabExecutorSettings)
        case gitlabFiles(GitLabFilesExecutorSettings)
        case azureDevOps(AzureDevOpsExecutorSettings)
    }

    /// A bearer token and the roles it grants.
    public struct Token: Sendable, Equatable {
        public var name: String
        public var secret: String
        public var roles: [Role]

        public init(name: String, secret: String, roles: [Role]) {
            self.name = name
            self.secret = secret
            self.roles = roles
        }
    }

    public var host = "127.0.0.1"
    public var port = 8002
    public var publicAddress: String?
    /// The connection cap and the idle and body read timeouts (`server.maxConnections`,
    /// `server.idleTimeoutSeconds`, `server.bodyTimeoutSeconds`).
    public var connections = ConnectionLimits()
    /// The lowest level logged and the shape of a line (`server.log: { level, format: text|json }`).
    public var log = LogSettings()
    public var database = Database.sqlite(path: "./tollgate.db")
    /// This process's name among replicas sharing a PostgreSQL database (`server.replicaName`):
    /// the owner of the leases it takes. Defaults to the host, process id and a random part.
    public var replicaName: String?
    /// How long a replica holds background work it took (`server.leaseSeconds`): a replica that
    /// dies leaves its work to the others after this time.
    public var leaseSeconds = 30.0
    public var policies = "./policies"
    /// The limits of every evaluation of the policy set (`policies.deadlineMilliseconds`,
    /// `policies.instructionBudget`, `policies.memoryBytes`).
    public var policyLimits = PolicyLimits()
    public var registry = Registry.directory(path: "./descriptors")
    public var executors: [String: Executor] = ["local": .local]
    /// Seconds each executor's dispatches are retried while it cannot be reached (`dispatchRetrySeconds`;
    /// 300 when not given); then the task fails.
    public var dispatchRetrySeconds: [String: Double] = [:]
    public var tokens: [Token] = []
    /// JWT bearer tokens of an OIDC issuer, when set.
    public var oidc: OIDCSettings?
    public var stateDirectory = "./.tollgate"
    /// Paths of policy inputs whose values the decision log keeps as `***` (`decisions.maskPaths`).
    public var maskPaths: [String] = []
    /// Seconds a task may run when its template does not say (`definition.timeoutSeconds`).
    public var taskTimeoutSeconds = 3_600
    /// Seconds after dispatch before an executor that reports by callback is asked about a task
    /// whose callback has not come (`tasks.callbackOverdueSeconds`).
    public var callbackOverdueSeconds = 60.0
    /// Where events are delivered.
    public var notifications: [Notification] = []
    /// Where traces go (`telemetry:`); off by default.
    public var telemetry = TelemetrySettings()

    static func log(_ section: ConfigReader) throws(ConfigurationError) -> LogSettings {
        try section.onlyKeys(["level", "format"])
        var settings = LogSettings()
        let level = try section.child("level").string(default: settings.level.rawValue)
        guard let parsed = Logger.Level(rawValue: level) else {
            throw section.child("level").error(
                "unknown level '\(level)' (\(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        settings.level = parsed
        let format = try section.child("format").string(default: settings.format.rawValue)
        guard let shape = LogSettings.Format(rawValue: format) else {
            throw section.child("format").error("unknown format '\(format)' (text or json)")
        }
        settings.format = shape
        return settings
    }

    /// The embedded defaults: loopback, files in the working directory, the local executor.
    public init() {}

    /// Reads a configuration document (YAML or JSON text).
    public init(text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) {
        let document: JSONValue
        do {
            document = try YAMLConfiguration.parse(text)
        } catch {
            throw ConfigurationError(key: "", message: "\(error)")
        }
        try self.init(document: document, environment: environment)
    }

    init(document: JSONValue, environment: [String: String]) throws(ConfigurationError) {
        let root = ConfigReader(value: document, path: "", environment: environment)
        try root.onlyKeys(["server", "database", "policies", "registry", "executors", "notifications", "auth", "state", "tasks", "decisions", "telemetry"])
        telemetry = try TelemetrySettings.read(root.child("telemetry"))
        let server = root.child("server")
        try server.onlyKeys(
            ["host", "port", "publicAddress", "maxConnections", "idleTimeoutSeconds", "bodyTimeoutSeconds", "replicaName", "leaseSeconds", "log"])
        log = try Self.log(server.child("log"))
        host = try server.child("host").string(default: host)
        port = try server.child("port").int(default: port)
        guard (1...65_535).contains(port) else { throw server.child("port").error("must be between 1 and 65535") }
        publicAddress = try server.child("publicAddress").optionalString()
        connections.maxConnections = try server.child("maxConnections").int(default: connections.maxConnections)
        guard connections.maxConnections > 0 else { throw server.child("maxConnections").error("must be a positive number") }
        connections.idleTimeoutSeconds = try server.child("idleTimeoutSeconds").seconds(default: connections.idleTimeoutSeconds)
        connections.bodyTimeoutSeconds = try server.child("bodyTimeoutSeconds").seconds(default: connections.bodyTimeoutSeconds)
        replicaName = try server.child("replicaName").optionalString()
        leaseSeconds = try server.child("leaseSeconds").seconds(default: leaseSeconds)
        guard leaseSeconds > 0 else { throw server.child("leaseSeconds").error("must be a positive number of seconds") }
        database = try Self.database(root.child("database"))
        let policySet = root.child("policies")
        try policySet.onlyKeys(["directory", "deadlineMilliseconds", "instructionBudget", "memoryBytes"])
        policies = try policySet.child("directory").string(default: policies)
        policyLimits.deadlineMilliseconds = try policySet.child("deadlineMilliseconds").int(default: policyLimits.deadlineMilliseconds)
        policyLimits.instructionBudget = Int64(try policySet.child("instructionBudget").int(default: Int(policyLimits.instructionBudget)))
        policyLimits.memoryLimit = try policySet.child("memoryBytes").int(default: policyLimits.memoryLimit)
        for (key, value) in [("deadlineMilliseconds", policyLimits.deadlineMilliseconds), ("memoryBytes", policyLimits.memoryLimit)] where value <= 0 {
            throw policySet.child(key).error("must be a positive number")
        }
        guard policyLimits.instructionBudget > 0 else { throw policySet.child("instructionBudget").error("must be a positive number") }
        stateDirectory = try root.child("state").child("directory").string(default: stateDirectory)
        let decisions = root.child("decisions")
        try decisions.onlyKeys(["maskPaths"])
        maskPaths = try decisions.child("maskPaths").strings()
        if let empty = maskPaths.firstIndex(where: { $0.isEmpty || $0.hasPrefix(".") || $0.hasSuffix(".") || $0.contains("..") }) {
            throw decisions.child("maskPaths").error("[\(empty)] must be a dot-separated path such as result.results.password")
        }
        let tasks = root.child("tasks")
        try tasks.onlyKeys(["timeoutSeconds", "callbackOverdueSeconds"])
        taskTimeoutSeconds = try tasks.child("timeoutSeconds").int(default: taskTimeoutSeconds)
        guard taskTimeoutSeconds > 0 else { throw tasks.child("timeoutSeconds").error("must be a positive number of seconds") }
        callbackOverdueSeconds = try tasks.child("callbackOverdueSeconds").seconds(default: callbackOverdueSeconds)
        let registry = root.child("registry")
        if !registry.isMissing {
            switch try registry.child("kind").string() {
            case "directory": self.registry = .directory(path: try registry.child("path").string())
            case "odm": self.registry = .odm(address: try registry.child("address").string())
            case "gitlab": self.registry = .gitlab(try Self.gitlabRegistry(registry))
            case let other: throw registry.child("kind").error("unknown registry kind '\(other)' (directory, odm or gitlab)")
            }
        }
        let executors = root.child("executors")
        if !executors.isMissing {
            self.executors = [:]
            for (name, executor) in try executors.entries() {
                switch try executor.child("kind").string() {
                case "odm":
                    try executor.onlyKeys(["kind", "address", "checkAfterCallback", "dispatchRetrySeconds"])
                    self.executors[name] = .odm(
                        address: try executor.child("address").string(),
                        checkAfterCallback: try executor.child("checkAfterCallback").bool(default: false))
                case "local":
                    try executor.onlyKeys(["kind"])
                    self.executors[name] = .local
                case "gitlab": self.executors[name] = .gitlab(try Self.gitlab(executor))
                case "gitlab-files":
                    try executor.onlyKeys(["kind", "address", "token", "project", "branch", "dispatchRetrySeconds", "retryAfterCeilingSeconds"])
                    let address = try executor.child("address").string()
                    guard address.hasPrefix("https://") || address.hasPrefix("http://") else {
                        throw executor.child("address").error("must be the instance's http(s) address (https://gitlab.example.com)")
                    }
                    var settings = GitLabFilesExecutorSettings(
                        address: address, token: try executor.child("token").secret(), project: try executor.child("project").optionalString())
                    settings.branch = try executor.child("branch").string(default: settings.branch)
                    settings.retryAfterCeilingSeconds = try executor.child("retryAfterCeilingSeconds").seconds(default: settings.retryAfterCeilingSeconds)
                    self.executors[name] = .gitlabFiles(settings)
                case "azure-devops": self.executors[name] = .azureDevOps(try Self.azureDevOps(executor))
                case let other:
                    throw executor.child("kind").error("unknown executor kind '\(other)' (odm, gitlab, gitlab-files, azure-devops or local)")
                }
                let retry = executor.child("dispatchRetrySeconds")
                if !retry.isMissing {
                    let seconds = try retry.int(default: 300)
                    guard seconds > 0 else { throw retry.error("must be a positive number of seconds") }
                    dispatchRetrySeconds[name] = Double(seconds)
                }
            }
        }
        let auth = root.child("auth")
        try auth.onlyKeys(["tokens", "oidc"])
        for item in try auth.child("tokens").items() {
            try item.onlyKeys(["name", "token", "roles"])
            tokens.append(Token(name: try item.child("name").string(), secret: try item.child("token").secret(), roles: try item.child("roles").roles()))
        }
        let oidc = auth.child("oidc")
        if !oidc.isMissing { self.oidc = try Self.oidc(oidc) }
        for item in try root.child("notifications").items() {
            let name = try item.child("name").optionalString()
            let notification: Notification
            switch try item.child("kind").string() {
            case "odm-observer":
                try item.onlyKeys(["kind", "name", "address"])
                notification = .odmObserver(address: try item.child("address").string(), name: name)
            case "odm-dispatch":
                try item.onlyKeys(["kind", "name", "address"])
                notification = .odmDispatch(address: try item.child("address").string(), name: name)
            case "webhook":
                try item.onlyKeys(["kind", "name", "url", "secret"])
                let secret = item.child("secret").isMissing ? nil : try item.child("secret").secret()
                notification = .webhook(url: try item.child("url").string(), secret: secret, name: name)
            case let other:
                throw item.child("kind").error("unknown notification kind '\(other)' (odm-observer, odm-dispatch or webhook)")
            }
            if let same = notifications.firstIndex(where: { $0.name == notification.name }) {
                throw item.error(
                    "is named '\(notification.name)' like notifications[\(same)]; give each receiver its own name (name: …)")
            }
            notifications.append(notification)
        }
    }

    static func gitlab(_ section: ConfigReader) throws(ConfigurationError) -> GitLabExecutorSettings {
        try section.onlyKeys([
            "kind", "address", "token", "triggerToken", "project", "ref", "runnerTag", "pollSeconds", "maxPollSeconds", "logLimitBytes",
            "dispatchRetrySeconds",
        ])
        let address = try section.child("address").string()
        guard address.hasPrefix("https://") || address.hasPrefix("http://") else {
            throw section.child("address").error("must be the instance's http(s) address (https://gitlab.example.com)")
        }
        let token = section.child("token").isMissing ? nil : try section.child("token").secret()
        let trigger = section.child("triggerToken").isMissing ? nil : try section.child("triggerToken").secret()
        guard token != nil || trigger != nil else {
            throw section.error("needs token (to start pipelines through the API and follow them) or triggerToken")
        }
        var settings = GitLabExecutorSettings(
            address: address.hasSuffix("/") ? String(address.dropLast()) : address, token: token, triggerToken: trigger,
            project: try section.child("project").optionalString())
        settings.ref = try section.child("ref").string(default: settings.ref)
        settings.runnerTag = try section.child("runnerTag").optionalString()
        settings.pollSeconds = try section.child("pollSeconds").seconds(default: settings.pollSeconds)
        settings.maxPollSeconds = try section.child("maxPollSeconds").seconds(default: max(settings.maxPollSeconds, settings.pollSeconds))
        settings.logLimitBytes = try section.child("logLimitBytes").int(default: settings.logLimitBytes)
        guard settings.logLimitBytes >= 1024 else { throw section.child("logLimitBytes").error("must be at least 1024") }
        return settings
    }

    static func gitlabRegistry(_ section: ConfigReader) throws(ConfigurationError) -> GitLabDescriptorSource.Settings {
        try section.onlyKeys(["kind", "address", "token", "group", "pattern", "ref", "versions", "refreshSeconds", "retryAfterCeilingSeconds"])
        let address = try section.child("address").string()
        guard address.hasPrefix("https://") || address.hasPrefix("http://") else {
            throw section.child("address").error("must be the instance's http(s) address (https://gitlab.example.com)")
        }
        var settings = GitLabDescriptorSource.Settings(
            address: address, token: try section.child("token").secret(), group: try section.child("group").string())
        settings.pattern = try section.child("pattern").string(default: settings.pattern)
        settings.ref = try section.child("ref").optionalString()
        let versions = try section.child("versions").string(default: settings.versions.rawValue)
        guard let parsed = GitLabDescriptorSource.Settings.Versions(rawValue: versions) else {
            throw section.child("versions").error("must be field (info.version) or tags (one tag per version), not '\(versions)'")
        }
        settings.versions = parsed
        settings.refreshSeconds = try section.child("refreshSeconds").seconds(default: settings.refreshSeconds)
        settings.retryAfterCeilingSeconds = try section.child("retryAfterCeilingSeconds").seconds(default: settings.retryAfterCeilingSeconds)
        return settings
    }

    static func azureDevOps(_ section: ConfigReader) throws(ConfigurationError) -> AzureDevOpsExecutorSettings {
        try section.onlyKeys([
            "kind", "organization", "project", "token", "tokenKind", "pipelineId", "branch", "pollSeconds", "maxPollSeconds",
            "dispatchRetrySeconds", "traceparentVariable",
        ])
        let organization = try section.child("organization").string()
        guard organization.hasPrefix("https://") || organization.hasPrefix("http://") else {
            throw section.child("organization").error("must be the organization's http(s) address (https://dev.azure.com/contoso)")
        }
        var settings = AzureDevOpsExecutorSettings(
            organization: organization.hasSuffix("/") ? String(organization.dropLast()) : organization,
            project: try section.child("project").string(), token: try section.child("token").secret())
        let kind = try section.child("tokenKind").string(default: "pat")
        guard let tokenKind = AzureDevOpsExecutorSettings.TokenKind(rawValue: kind) else {
            throw section.child("tokenKind").error("must be pat or bearer, not '\(kind)'")
        }
        settings.tokenKind = tokenKind
        settings.pipelineId = section.child("pipelineId").isMissing ? nil : try section.child("pipelineId").int(default: 0)
        settings.branch = try section.child("branch").string(default: settings.branch)
        settings.pollSeconds = try section.child("pollSeconds").seconds(default: settings.pollSeconds)
        settings.maxPollSeconds = try section.child("maxPollSeconds").seconds(default: max(settings.maxPollSeconds, settings.pollSeconds))
        settings.traceparentVariable = try section.child("traceparentVariable").bool(default: false)
        return settings
    }

    static func oidc(_ section: ConfigReader) throws(ConfigurationError) -> OIDCSettings {
        try section.onlyKeys(["issuer", "audience", "jwks", "nameClaim", "leewaySeconds", "roles"])
        let jwks = section.child("jwks")
        try jwks.onlyKeys(["file", "url"])
        let keys: OIDCSettings.Keys
        switch (try jwks.child("file").optionalString(), try jwks.child("url").optionalString()) {
        case (let file?, nil): keys = .file(file)
        case (nil, let url?):
            guard url.hasPrefix("https://") || Self.isLoopback(url) else {
                throw jwks.child("url").error(
                    "must be an https:// address (keys fetched over plain http could be swapped on the way; http is accepted on loopback only)")
            }
            keys = .url(url)
        default: throw jwks.error("needs exactly one of file (a JWKS document) or url (the issuer's JWKS endpoint)")
        }
        var rules: [RoleRule] = []
        for rule in try section.child("roles").items() {
            try rule.onlyKeys(["claim", "value", "roles"])
            rules.append(RoleRule(claim: try rule.child("claim").string(), value: try rule.child("value").string(), roles: try rule.child("roles").roles()))
        }
        guard !rules.isEmpty else { throw section.child("roles").error("needs at least one rule ({ claim, value, roles }); without one no token gets a role") }
        var settings = OIDCSettings(issuer: try section.child("issuer").string(), audience: try section.child("audience").string(), keys: keys, roles: rules)
        settings.nameClaim = try section.child("nameClaim").string(default: settings.nameClaim)
        settings.leewaySeconds = try section.child("leewaySeconds").int(default: settings.leewaySeconds)
        guard (0...600).contains(settings.leewaySeconds) else { throw section.child("leewaySeconds").error("must be between 0 and 600") }
        return settings
    }

    /// Whether the server may listen on `host` (only loopback without authentication).
    public var listensSafely: Bool {
        !tokens.isEmpty || oidc != nil || ["127.0.0.1", "localhost", "::1"].contains(host)
    }
}

/// YAML or JSON configuration text.
enum YAMLConfiguration {
    static func parse(_ text: String) throws -> JSONValue {
        let trimmed = text.drop { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        if trimmed.first == "{" { return try JSONValue.parse(text) }
        return try YAMLText.parse(text)
    }
}

extension ServiceConfiguration {
    /// Whether `url` is plain http to this machine (127.0.0.0/8, localhost or ::1).
    static func isLoopback(_ url: String) -> Bool {
        guard url.hasPrefix("http://") else { return false }
        let authority = url.dropFirst("http://".count).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host: Substring
        if authority.hasPrefix("[") {
            host = authority.dropFirst().prefix { $0 != "]" }
        } else {
            host = authority.prefix { $0 != ":" }
        }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        let loopbackIPv4 = octets.count == 4 && octets.first == "127" && octets.allSatisfy { UInt8($0) != nil }
        return host == "localhost" || host == "::1" || loopbackIPv4
    }
}

extension ServiceConfiguration {
    /// `database:` — `{ path }` (SQLite, the default) or `{ kind: postgres, url: { env }, pool, schema }`.
    static func database(_ node: ConfigReader) throws(ConfigurationError) -> Database {
        let kind = try node.child("kind").string(default: "sqlite")
        switch kind {
        case "sqlite":
            try node.onlyKeys(["kind", "path"])
            return .sqlite(path: try node.child("path").string(default: "./tollgate.db"))
        case "postgres":
            try node.onlyKeys(["kind", "url", "pool", "schema"])
            let url = try node.child("url").secret()
            let pool = try node.child("pool").int(default: 8)
            guard pool > 0 else { throw node.child("pool").error("must be a positive number") }
            let schema = try node.child("schema").string(default: "tollgate")
            return .postgres(url: url, pool: pool, schema: schema)
        default:
            throw node.child("kind").error("must be sqlite or postgres, not '\(kind)'")
        }
    }
}
