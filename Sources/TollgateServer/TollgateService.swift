public import AsyncHTTPClient
import Foundation
public import Hummingbird
import HummingbirdCore
import NIOPosix
public import ServiceLifecycle
public import Logging
public import NIOCore
import Synchronization
import TollgateJSON
public import TollgateLifecycle
public import TollgatePolicy
import TollgateRuntime
import TollgateStore
import TollgatePostgres

/// `tollgate serve`: the engine behind the ODM DevOps API and Tollgate's own endpoints.
public struct TollgateService: Sendable {
    public let engine: LifecycleEngine
    public let store: any AuditStore
    public let policies: PolicyEngine
    public let configuration: ServiceConfiguration
    public let tokens: CallbackTokens
    /// Checks JWT bearer tokens when `auth.oidc` is configured.
    let oidc: OIDCAuthenticator?
    /// Counters and histograms served at `/metrics`.
    public let metrics = TollgateMetrics()
    /// How often pending dispatches are retried and silent tasks are looked at.
    public var recoveryInterval: Duration = .seconds(2)
    /// How often a replica looks for a policy set another replica published (PostgreSQL only).
    public var policySetPollInterval: Duration = .seconds(2)
    /// Where the server and its engine log.
    public let logger: Logger
    /// The GitLab setups checked (and logged) at start.
    let gitlabSetups: [(name: String, target: GitLabSetupCheck.Target)]
    let httpClient: HTTPClient
    /// The PostgreSQL connection pool, run as a service of the application (nil on SQLite).
    let databasePool: PostgresLifecycleStore?

    /// Builds the engine over the store, the policies, the registry and the executors.
    public init(
        configuration: ServiceConfiguration, httpClient: HTTPClient, callbackSecret: [UInt8]? = nil,
        notificationBackoffSeconds: Double = 1, notificationMaxBackoffSeconds: Double = 300, logger: Logger = Logger(label: "tollgate")
    ) throws {
        self.configuration = configuration
        self.logger = logger
        self.httpClient = httpClient
        gitlabSetups = configuration.executors.sorted { $0.key < $1.key }.compactMap { name, executor in
            switch executor {
            case .gitlab(let settings): (name, GitLabSetupCheck.Target(settings))
            case .gitlabFiles(let settings): (name, GitLabSetupCheck.Target(settings))
            default: nil
            }
        }
        let tokens = callbackSecret.map(CallbackTokens.init(secret:)) ?? .random()
        self.tokens = tokens
        switch configuration.database {
        case .sqlite(let path):
            store = try SQLiteLifecycleStore(path: path)
            databasePool = nil
        case .postgres(let url, let pool, let schema):
            let postgres = PostgresLifecycleStore(location: try PostgresLocation(url: url, schema: schema, pool: pool), logger: Logger(label: "tollgate.postgres"))
            store = postgres
            databasePool = postgres
        }
        policies = try PolicyEngine(directory: configuration.policies, limits: configuration.policyLimits)
        oidc = try configuration.oidc.map { settings throws(ConfigurationError) in
            try OIDCAuthenticator(settings: settings, http: OutboundHTTP(client: httpClient))
        }
        let forwarder = EngineForwarder()
        var executors: [String: any TaskExecutor] = [:]
        for (name, executor) in configuration.executors {
            switch executor {
            case .odm(let address, _):
                executors[name] = ODMExecutorClient(name: name, address: address, client: httpClient)
            case .gitlab(let settings):
                executors[name] = GitLabExecutor(name: name, settings: settings, http: OutboundHTTP(client: httpClient))
            case .gitlabFiles(let settings):
                executors[name] = GitLabFilesExecutor(name: name, settings: settings, http: OutboundHTTP(client: httpClient))
            case .azureDevOps(let settings):
                executors[name] = AzureDevOpsExecutor(name: name, settings: settings, http: OutboundHTTP(client: httpClient))
            case .local:
                executors[name] = LocalProcessExecutor(stateDirectory: configuration.stateDirectory) { taskId, report in
                    await forwarder.report(taskId: taskId, report)
                }
            }
        }
        let descriptors: any DescriptorSource =
            switch configuration.registry {
            case .directory(let path): DirectoryDescriptorSource(directory: path)
            case .odm(let address): ODMRegistryClient(address: address, client: httpClient)
            case .gitlab(let settings): GitLabDescriptorSource(settings: settings, http: OutboundHTTP(client: httpClient))
            }
        let base = configuration.publicAddress ?? "http://\(configuration.host):\(configuration.port)"
        var options = LifecycleEngine.Options()
        if case .postgres = configuration.database {
            options.replicaName = configuration.replicaName ?? LifecycleEngine.defaultReplicaName()
        }
        options.logger = logger
        options.metrics = metrics.factory
        options.leaseSeconds = configuration.leaseSeconds
        options.dispatchInline = false
        options.defaultTaskTimeoutSeconds = configuration.taskTimeoutSeconds
        options.dispatchRetrySeconds = configuration.dispatchRetrySeconds
        options.callbackOverdueSeconds = configuration.callbackOverdueSeconds
        options.masking = InputMasking(paths: configuration.maskPaths)
        options.notificationBackoffSeconds = notificationBackoffSeconds
        options.notificationMaxBackoffSeconds = notificationMaxBackoffSeconds
        options.notifiers = configuration.notifications.map { notification -> any Notifier in
            switch notification.target {
            case .odmObserver(let address):
                ODMNotifier(name: notification.name, receiver: .observer, address: address, client: httpClient)
            case .odmDispatch(let address):
                ODMNotifier(name: notification.name, receiver: .dispatch, address: address, client: httpClient)
            case .webhook(let url, let secret): WebhookNotifier(name: notification.name, url: url, secret: secret, client: httpClient)
            }
        }
        for (index, notification) in configuration.notifications.enumerated() {
            options.notifierAliases[notification.legacyName(index: index)] = notification.name
        }
        options.callbackRef = { taskId in
            "\(base)/api/v1/pp/devops/tasks/\(taskId)/status?action=STOP&token=\(tokens.token(taskId: taskId))"
        }
        engine = try LifecycleEngine(
            store: store, gate: CountingGate(gate: PolicyEngineGate(engine: policies, threads: Self.policyThreads), metrics: metrics), descriptors: descriptors,
            executors: ExecutorRegistry(executors), options: options)
        forwarder.engine.withLock { $0 = engine }
    }

    /// Where policies are evaluated and loaded: NIO's pool for blocking work, one thread per core,
    /// apart from the cooperative pool that serves requests.
    static let policyThreads = NIOThreadPool.singleton

    /// The HTTP client for calls to executors, registries and notification receivers: a refused
    /// connection fails at once (the outbox retries it later), a silent peer after `connect`.
    public static func makeHTTPClient(connect: TimeAmount = .seconds(3)) -> HTTPClient {
        var pool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(60))
        pool.retryConnectionEstablishment = false
        return HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(timeout: .init(connect: connect, read: .seconds(30)), connectionPool: pool))
    }

    /// Every documented operation as `METHOD /path/{param}`, for checking against the router.
    public static var documentedOperations: [String] {
        APIDocument.operations.map { "\($0.method.uppercased()) \($0.path)" }
    }

    /// The router with every endpoint.
    public func router() -> Router<TollgateRequestContext> {
        let router = Router(context: TollgateRequestContext.self)
        // A span per request, continuing the caller's `traceparent` (an executor's callback, a client).
        router.add(middleware: TracingMiddleware())
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ODMErrorMiddleware(logger: logger))
        router.add(middleware: AuthMiddleware(tokens: configuration.tokens, oidc: oidc))
        let checked = Set(
            configuration.executors.compactMap { name, executor -> String? in
                if case .odm(_, true) = executor { return name }
                return nil
            })
        DevOpsAPI(engine: engine, store: store, tokens: tokens, checkedExecutors: checked).register(on: router)
        var publish: (@Sendable (String) async -> Void)?
        if let pool = databasePool {
            publish = { [logger] revision in
                do {
                    try await pool.publishPolicySet(revision: revision)
                } catch {
                    logger.error(
                        "policy set \(revision.prefix(12)) is loaded here but could not be published to the other replicas: \(error); reload again to publish it")
                }
            }
        }
        TollgateAPI(policies: policies, threads: Self.policyThreads, store: store, publish: publish, metrics: metrics).register(on: router)
        AuditPages(store: store, metrics: metrics).register(on: router)
        router.get("openapi.json") { _, _ in JSONResponse(value: APIDocument.json) }
        let gauges = StoreGauges(store: store, metrics: metrics, logger: logger)
        router.get("metrics") { _, _ -> Response in
            await gauges.refresh()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        let health = HealthCheck(store: store, policies: policies, logger: logger)
        router.get("health") { _, _ -> JSONResponse in
            let (body, up) = await health.report()
            return JSONResponse(value: body, status: up ? .ok : .serviceUnavailable)
        }
        return router
    }

    /// The HTTP application, running `extraServices` (the trace exporter) beside its own.
    public func application(extraServices: [any Service] = []) -> some ApplicationProtocol {
        let limits = configuration.connections
        let open = ConnectionCount()
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionGuard(limits: limits, count: open)],
            idleTimeout: .nanoseconds(Int64(limits.idleTimeoutSeconds * 1e9)))
        return Application(
            router: router(), server: .http1(configuration: http),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            services: (databasePool.map {
                [
                    DatabasePoolService(store: $0, logger: logger) as any Service,
                    PolicySetWatch(store: $0, policies: policies, threads: Self.policyThreads, interval: policySetPollInterval, logger: logger),
                ]
            } ?? [])
                + [RecoveryService(engine: engine, interval: recoveryInterval) as any Service]
                + (gitlabSetups.isEmpty ? [] : [GitLabSetupService(targets: gitlabSetups, http: OutboundHTTP(client: httpClient), logger: logger)])
                + extraServices,
            logger: logger)
    }
}

/// Hands results of in-process executors to the engine created after them.
final class EngineForwarder: Sendable {
    let engine = Mutex<LifecycleEngine?>(nil)
    let logger = Logger(label: "tollgate.executor.local")

    func report(taskId: Int64, _ report: TaskReport) async {
        guard let engine = engine.withLock({ $0 }) else { return }
        do {
            try await engine.report(taskId: taskId, report, principal: Principal(name: "local", roles: ["executor"]))
        } catch {
            logger.warning(
                "the result of local task \(taskId) (\(report.status.rawValue)) was refused: \(error)", metadata: ["task": "\(taskId)", "executor": "local"])
        }
    }
}

/// Keeps the PostgreSQL connection pool working for the life of the application.
struct DatabasePoolService: Service {
    let store: PostgresLifecycleStore
    let logger: Logger

    struct PoolStopped: Error, CustomStringConvertible {
        var description: String { "the PostgreSQL connection pool stopped while the server was running" }
    }

    func run() async throws {
        await store.run()
        // The pool runs until shutdown; ending before it leaves no way to the database.
        guard Task.isCancelled || Task.isShuttingDownGracefully else {
            logger.critical("\(PoolStopped())")
            throw PoolStopped()
        }
    }
}

extension TollgateService {
    /// Brings a PostgreSQL database's schema up to date before serving (the SQLite store migrates
    /// itself on opening): under an advisory lock, so replicas starting together apply each version
    /// once; a schema newer than this Tollgate is refused, naming its version.
    public static func prepareDatabase(_ configuration: ServiceConfiguration, logger: Logger) async throws {
        guard case .postgres(let url, let pool, let schema) = configuration.database else { return }
        let location = try PostgresLocation(url: url, schema: schema, pool: min(pool, 2))
        try await PostgresDatabase.withDatabase(location, logger: logger) { database in
            let applied = try await database.migrate()
            if !applied.isEmpty { logger.info("database \(location.shown) schema \(schema): applied versions \(applied.map(String.init).joined(separator: ", "))") }
        }
    }
}
