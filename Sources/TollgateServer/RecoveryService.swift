import ServiceLifecycle
import TollgateLifecycle

/// Keeps the engine honest while the server runs: carries out pending intents (retrying
/// unreachable executors), asks executors about tasks whose callback went missing, and times out
/// tasks that never report.
struct RecoveryService: Service {
    let engine: LifecycleEngine
    let interval: Duration

    func run() async throws {
        await engine.recover()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: interval)
            await engine.recover()
        }
    }
}
