import Foundation
import Synchronization
public import TollgateLifecycle
public import TollgatePolicy
public import TollgateStore

/// Tollgate on its embedded defaults: a SQLite file, a policy directory, descriptors from files,
/// and the local-process executor (under every executor name given).
public final class LocalRuntime: Sendable {
    public let engine: LifecycleEngine
    public let store: SQLiteLifecycleStore
    public let policies: PolicyEngine
    public let descriptors: DirectoryDescriptorSource

    /// Where the pieces live.
    public struct Paths: Sendable {
        public var database: String
        public var policies: String
        public var stateDirectory: String
        public var descriptorFiles: [String]

        public init(database: String, policies: String, stateDirectory: String, descriptorFiles: [String]) {
            self.database = database
            self.policies = policies
            self.stateDirectory = stateDirectory
            self.descriptorFiles = descriptorFiles
        }
    }

    public init(paths: Paths, localExecutorNames: [String] = ["local"], options: LifecycleEngine.Options = .init()) throws {
        store = try SQLiteLifecycleStore(path: paths.database)
        policies = try PolicyEngine(directory: paths.policies)
        descriptors = DirectoryDescriptorSource(files: paths.descriptorFiles)
        let forwarder = ReportForwarder()
        let executor = LocalProcessExecutor(stateDirectory: paths.stateDirectory) { taskId, report in
            await forwarder.forward(taskId: taskId, report: report)
        }
        var executors: [String: any TaskExecutor] = [:]
        for name in localExecutorNames { executors[name] = executor }
        engine = try LifecycleEngine(
            store: store, gate: PolicyEngineGate(engine: policies), descriptors: descriptors,
            executors: ExecutorRegistry(executors), options: options)
        forwarder.engine.withLock { $0 = engine }
    }
}

/// Hands results from executors to the engine created after them.
final class ReportForwarder: Sendable {
    let engine = Mutex<LifecycleEngine?>(nil)

    func forward(taskId: Int64, report: TaskReport) async {
        guard let engine = engine.withLock({ $0 }) else { return }
        do {
            _ = try await engine.report(taskId: taskId, report, principal: Principal(name: "local", roles: ["executor"]))
        } catch {
            // The run stays PROCESSING; recovery asks the executor again for the result.
            FileHandle.standardError.write(Data("tollgate: the result of task \(taskId) was not recorded: \(error)\n".utf8))
        }
    }
}
