import ArgumentParser
import Foundation
import Logging
import TollgateJSON
import TollgateLifecycle
import TollgateRuntime
import TollgateStore

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run stages of a data product version in-process, on the embedded defaults.",
        discussion: """
            Plans and starts an activity per stage, in order, on the local-process executor; shows each \
            gate's verdict, each task, and the final context. Exits 1 when a stage is blocked or fails. \
            Work left unfinished by an earlier run on the same database is picked up first.
            """
    )

    @Argument(help: "The data product descriptor (JSON).")
    var descriptor: String

    @Option(name: .customLong("stage"), help: "A stage to run (repeatable, in order).")
    var stages: [String] = []

    @Option(help: "SQLite database file.")
    var database = "tollgate.db"

    @Option(help: "Policy directory.")
    var policies = "policies"

    @Option(help: "Folder for local task state (process ids, output, exit codes).")
    var stateDirectory = ".tollgate"

    @Option(name: .customLong("executor"), help: "Executor names the local-process executor answers to (repeatable).")
    var executors: [String] = ["local"]

    @Flag(help: "Skip stages whose latest activity for this version already succeeded.")
    var resume = false

    @Flag(help: "Print only errors and the final context.")
    var quiet = false

    func run() async throws {
        guard !stages.isEmpty else {
            printError("tollgate run: name at least one stage: --stage dev")
            throw ExitCode(2)
        }
        let runtime: LocalRuntime
        // The run prints its own progress; the engine's log adds only what went wrong.
        var options = LifecycleEngine.Options()
        options.logger.logLevel = .warning
        do {
            runtime = try LocalRuntime(
                paths: .init(database: database, policies: policies, stateDirectory: stateDirectory, descriptorFiles: [descriptor]),
                localExecutorNames: executors, options: options)
        } catch {
            printError("tollgate run: \(error)")
            throw ExitCode(2)
        }
        if let problem = runtime.descriptors.problems.first {
            printError("tollgate run: \(problem)")
            throw ExitCode(2)
        }
        guard let product = runtime.descriptors.descriptors.first else {
            printError("tollgate run: \(descriptor) holds no descriptor")
            throw ExitCode(2)
        }
        let progress = RunProgress(store: runtime.store, quiet: quiet)
        await runtime.engine.recover()
        var lastActivity: Int64?
        for stage in stages {
            let id: Int64
            do {
                guard let activityId = try await activity(for: stage, product: product, runtime: runtime) else { continue }
                id = activityId
            } catch let error as LifecycleError {
                printError("tollgate run: \(stage): \(error)")
                throw ExitCode(1)
            }
            lastActivity = id
            let finished = try await progress.follow(activityId: id, engine: runtime.engine)
            if finished.status != .processed {
                printError("tollgate run: stage \(stage) \(finished.status.rawValue): \(finished.errors ?? "")")
                throw ExitCode(1)
            }
        }
        if lastActivity != nil || resume {
            let context = try await runtime.engine.context(dataProductId: product.fullyQualifiedName, version: product.version)
            print("context:")
            print(context.serialized(pretty: true))
        }
    }

    /// The activity to follow for `stage`: an unfinished one, or a new one.
    private func activity(for stage: String, product: DataProductDescriptor, runtime: LocalRuntime) async throws -> Int64? {
        let all = try await runtime.store.activities(
            matching: ActivityFilter(dataProductId: product.fullyQualifiedName, dataProductVersion: product.version, stage: stage))
        if let running = all.last(where: { $0.status == .processing }) { return running.id }
        if resume, all.last?.status == .processed {
            if !quiet { print("\(stage): already done (activity \(all.last!.id))") }
            return nil
        }
        if let planned = all.last(where: { $0.status == .planned }) {
            try await runtime.engine.startActivity(id: planned.id, principal: Self.principal)
            return planned.id
        }
        let created = try await runtime.engine.createActivity(
            dataProductId: product.fullyQualifiedName, version: product.version, stage: stage, principal: Self.principal,
            start: true)
        return created.id
    }

    static let principal = Principal(name: ProcessInfo.processInfo.environment["USER"] ?? "tollgate-run", roles: ["submitter"])
}
