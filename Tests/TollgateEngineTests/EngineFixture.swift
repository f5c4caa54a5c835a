import Foundation
import Logging
import TollgateJSON
import TollgateLifecycle
import TollgatePolicy
import TollgateRuntime
import TollgateTestSupport

/// An engine over the walk-through descriptor, the shipped policies (or given ones), an in-memory
/// store and a scripted `azure-devops` executor.
struct EngineFixture {
    static let productId = "urn:org.opendatamesh:dataproducts:hello"

    let engine: LifecycleEngine
    let store: MemoryLifecycleStore
    let executor: ScriptedExecutor
    let clock: TestClock
    let descriptor: DataProductDescriptor

    /// The same engine over another store (the SQLite one, say).
    let durable: (any LifecycleStore)?

    init(
        policies: PolicySet? = nil, descriptorDocument: JSONValue? = nil, executor: ScriptedExecutor = ScriptedExecutor(),
        store durable: (any LifecycleStore)? = nil, clock: TestClock? = nil, options: LifecycleEngine.Options = LifecycleEngine.Options()
    ) throws {
        let document: JSONValue
        if let descriptorDocument {
            document = descriptorDocument
        } else {
            let data = FileManager.default.contents(atPath: RepositoryPaths.path("examples/walkthrough/descriptor.json")) ?? Data()
            document = try JSONValue.parse(Array(data))
        }
        descriptor = try DataProductDescriptor(document: document)
        store = MemoryLifecycleStore()
        self.durable = durable
        self.executor = executor
        self.clock = clock ?? TestClock(iso: "2023-11-23T14:30:00Z")
        let set = try policies ?? PolicySet.load(directory: RepositoryPaths.policies)
        var options = options
        // What tests provoke on purpose (unreachable executors, refused results) is not news.
        options.logger.logLevel = .error
        engine = try LifecycleEngine(
            store: durable ?? store, gate: PolicyEngineGate(engine: PolicyEngine(set: set)),
            descriptors: FixedDescriptorSource(descriptor, productId: Self.productId),
            executors: ExecutorRegistry(["azure-devops": executor]), options: options, clock: self.clock.function)
    }

    static let ci = Principal(name: "ci", roles: ["submitter"])
    static let pipeline = Principal(name: "azure-devops", roles: ["executor"])

    func run(_ stage: String) async throws -> Activity {
        try await engine.createActivity(dataProductId: Self.productId, version: "1.0.0", stage: stage, principal: Self.ci, start: true)
    }

    @discardableResult
    func report(_ taskId: Int64, _ status: TaskOutcomeStatus = .processed, results: JSONValue? = nil, errors: String? = nil)
        async throws -> ReportOutcome
    {
        try await engine.report(taskId: taskId, TaskReport(status: status, results: results, errors: errors), principal: Self.pipeline)
    }

    /// Verifies the decision chain of the store.
    func chainProblem() -> ChainProblem? {
        let decisions = store.allDecisions
        return DecisionChain.firstProblem(
            in: decisions.map { DecisionChain.Canonical($0, sequence: $0.sequence, previousHash: $0.previousHash) },
            storedHashes: decisions.map(\.hash))
    }
}
