public import AsyncHTTPClient
import Foundation
public import Hummingbird
import Logging
import TollgateJSON
public import TollgateLifecycle
import TollgatePolicy
import TollgateRuntime
public import TollgateStore

/// `tollgate serve`: the engine behind the ODM DevOps API.
public struct TollgateService: Sendable {
    /// What the service needs.
    public struct Settings: Sendable {
        public var host = "127.0.0.1"
        public var port = 8002
        /// The address executors call back to (defaults to `http://host:port`).
        public var publicAddress: String?
        public var database = "tollgate.db"
        public var policies = "policies"
        public var descriptors = "descriptors"
        /// Executor name to the address of an ODM executor adapter.
        public var odmExecutors: [String: String] = [:]
        /// Secret that signs callback tokens (random per process when nil).
        public var callbackSecret: [UInt8]?
        /// How often pending dispatches are retried and silent tasks are looked at.
        public var recoveryInterval: Duration = .seconds(2)

        public init() {}
    }

    public let engine: LifecycleEngine
    public let store: SQLiteLifecycleStore
    public let settings: Settings
    public let tokens: CallbackTokens

    /// Builds the engine over the store, the policies, the descriptors and the executors.
    public init(settings: Settings, httpClient: HTTPClient) throws {
        self.settings = settings
        let tokens = settings.callbackSecret.map(CallbackTokens.init(secret:)) ?? .random()
        self.tokens = tokens
        store = try SQLiteLifecycleStore(path: settings.database)
        let policies = try PolicyEngine(directory: settings.policies)
        var executors: [String: any TaskExecutor] = [:]
        for (name, address) in settings.odmExecutors {
            executors[name] = ODMExecutorClient(name: name, address: address, client: httpClient)
        }
        let base = settings.publicAddress ?? "http://\(settings.host):\(settings.port)"
        var options = LifecycleEngine.Options()
        options.dispatchInline = false
        options.callbackRef = { taskId in
            "\(base)/api/v1/pp/devops/tasks/\(taskId)/status?action=STOP&token=\(tokens.token(taskId: taskId))"
        }
        engine = try LifecycleEngine(
            store: store, gate: PolicyEngineGate(engine: policies),
            descriptors: DirectoryDescriptorSource(directory: settings.descriptors), executors: ExecutorRegistry(executors),
            options: options)
    }

    /// The router with every endpoint.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        DevOpsAPI(engine: engine, store: store, tokens: tokens).register(on: router)
        router.get("health") { _, _ -> JSONResponse in
            JSONResponse(value: ["status": "UP"])
        }
        return router
    }

    /// The HTTP application.
    public func application() -> some ApplicationProtocol {
        Application(
            router: router(), configuration: .init(address: .hostname(settings.host, port: settings.port)),
            services: [RecoveryService(engine: engine, interval: settings.recoveryInterval)],
            logger: Logger(label: "tollgate"))
    }
}
