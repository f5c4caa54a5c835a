import Foundation
public import Hummingbird
import TollgateJSON
public import TollgateLifecycle


/// The ODM DevOps API under `/api/v1/pp/devops`, wire-compatible with ODM's service.
public struct DevOpsAPI: Sendable {
    public let engine: LifecycleEngine
    public let store: any AuditStore
    public let tokens: CallbackTokens
    /// Executors whose own status overrides a callback's (`checkAfterCallback: true`).
    public let checkedExecutors: Set<String>

    public init(engine: LifecycleEngine, store: any AuditStore, tokens: CallbackTokens, checkedExecutors: Set<String> = []) {
        self.engine = engine
        self.store = store
        self.tokens = tokens
        self.checkedExecutors = checkedExecutors
    }

    /// The caller recorded when the server runs without authentication.
    static let anonymous = Principal(name: "anonymous", roles: ["submitter"])

    /// Who the decision log names for a request.
    func caller(_ context: TollgateRequestContext) -> Principal { context.caller ?? Self.anonymous }

    /// Adds the routes to `router`.
    public func register(on router: Router<TollgateRequestContext>) {
        let group = router.group("api/v1/pp/devops")
        group.post("activities") { request, context in try await self.createActivity(request, context) }
        group.get("activities") { request, _ in try await self.searchActivities(request) }
        group.get("activities/:id") { _, context in try await self.readActivity(context) }
        group.get("activities/:id/status") { _, context in try await self.activityStatus(context) }
        group.patch("activities/:id/status") { request, context in try await self.activityAction(request, context) }
        group.delete("activities/:id") { _, context in try await self.deleteActivity(context) }
        group.get("tasks") { request, _ in try await self.searchTasks(request) }
        group.get("tasks/:id") { _, context in try await self.readTask(context) }
        group.get("tasks/:id/status") { _, context in try await self.taskStatus(context) }
        group.patch("tasks/:id/status") { request, context in try await self.taskAction(request, context) }
        group.get("lifecycles") { request, context in
            try await self.lifecycles(request, context, product: nil, version: nil, currentOnly: false)
        }
        group.get("lifecycles/:product") { request, context in
            try await self.lifecycles(request, context, product: context.parameters.require("product"), version: nil, currentOnly: false)
        }
        group.get("lifecycles/:product/:version") { request, context in
            try await self.lifecycles(
                request, context, product: context.parameters.require("product"), version: context.parameters.require("version"),
                currentOnly: false)
        }
        group.get("lifecycles/:product/:version/current") { request, context in
            try await self.lifecycles(
                request, context, product: context.parameters.require("product"), version: context.parameters.require("version"),
                currentOnly: true)
        }
    }

    // MARK: Helpers

    func run<T>(_ body: () async throws(LifecycleError) -> T) async throws -> T {
        do { return try await body() } catch { throw ODMError(error) }
    }

    func id(_ context: some RequestContext) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self) else {
            throw ODMError.unreadableBody("the id in the path must be an integer")
        }
        return id
    }

    /// `x-odm-<executor>-executor-secret-<type>: <value>` headers, as `executor → x-odm-<type> → value`.
    static func secretHeaders(_ request: Request) -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            guard name.hasPrefix("x-odm-"), let marker = name.range(of: "-executor-secret-") else { continue }
            let executor = String(name[name.index(name.startIndex, offsetBy: 6)..<marker.lowerBound])
            let type = String(name[marker.upperBound...])
            guard !executor.isEmpty, !type.isEmpty else { continue }
            out[executor, default: [:]]["x-odm-\(type)"] = field.value
        }
        return out
    }

    func query(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters.get(name)
    }
}
