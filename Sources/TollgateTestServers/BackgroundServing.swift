public import ServiceLifecycle
import Synchronization

/// Runs a service (a Hummingbird application) in the background until `stop()`.
///
/// Stopping shuts the service down gracefully. Cancelling its task instead can drop a connection
/// that NIO accepted but had not handed over yet, and that traps the whole test process
/// ("Deinited NIOAsyncWriter without calling finish()", swift-nio issue 3481).
public final class BackgroundServing: Sendable {
    private let group = Mutex<ServiceGroup?>(nil)

    public init() {}

    public func start(_ service: some Service) {
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [], cancellationSignals: [], logger: quietLogger)
        self.group.withLock { $0 = group }
        Task { try? await group.run() }
    }

    /// Asks the service to finish its connections and stop; returns at once.
    public func stop() {
        guard let group = group.withLock({ $0.take() }) else { return }
        Task { await group.triggerGracefulShutdown() }
    }
}
