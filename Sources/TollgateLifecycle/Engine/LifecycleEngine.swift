public import CoreMetrics
public import Foundation
public import Logging
public import TollgateJSON

/// The lifecycle state machine: plans activities, starts them through the stage-transition gate,
/// runs their tasks in order on executors, judges each result and the whole activity through the
/// task-result and activity-result gates, and promotes the version's stage.
///
/// Every state change and the decisions that gated it are committed together (one ``ChangeSet``);
/// side effects (dispatches) are recorded as outbox intents in that commit and carried out after
/// it, so a crash loses nothing and repeats nothing an executor can recognise.
///
/// The engine is an actor: state changes are made one at a time, always from the store's state.
public actor LifecycleEngine {
    /// Tunable behaviour.
    public struct Options: Sendable {
        /// What to do with a `${...}` placeholder that resolves to nothing.
        public var placeholderMode: PlaceholderResolver.Mode = .strict
        /// Seconds a task may stay PROCESSING when its descriptor does not say.
        public var defaultTaskTimeoutSeconds = 3_600
        /// First retry delay of a dispatch whose executor was unreachable; doubles with each attempt.
        /// The task fails when its timeout passes with the executor still unreachable.
        public var dispatchBackoffSeconds = 1.0
        /// The longest retry delay of a dispatch.
        public var dispatchMaxBackoffSeconds = 60.0
        /// Seconds a dispatch is retried while its executor cannot be reached, by executor name;
        /// then the task fails with ODM's executor error code.
        public var dispatchRetrySeconds: [String: Double] = [:]
        /// The retry limit of executors not named in ``dispatchRetrySeconds``.
        public var defaultDispatchRetrySeconds = 300.0
        /// Seconds after its dispatch a task of an executor that reports by callback is considered
        /// overdue: only then is its executor asked for the task's status (again at most this often).
        public var callbackOverdueSeconds = 60.0
        /// Secret paths of policy inputs, masked in the decision log (policies see the real values).
        public var masking = InputMasking(paths: [])
        /// Attempts to cancel a run whose executor is unreachable before giving up (and saying so).
        public var cancelAttempts = 8
        /// The callback address handed to executors for a task, if any.
        public var callbackRef: @Sendable (Int64) -> String? = { _ in nil }
        /// Whether dispatches happen before the call that committed them returns (in-process runs,
        /// tests) or right after, in the background (a server answering requests).
        public var dispatchInline = true
        /// Where events are announced (each delivered at least once, from the outbox).
        public var notifiers: [any Notifier] = []
        /// Other names pending notifications may give their notifier (`old name → notifier name`).
        public var notifierAliases: [String: String] = [:]
        /// Delivery attempts before a notification is given up (and recorded as such).
        public var maxNotificationAttempts = 30
        /// First retry delay of a failed delivery; doubles with each attempt.
        public var notificationBackoffSeconds = 1.0
        /// The longest retry delay of a delivery.
        public var notificationMaxBackoffSeconds = 300.0
        /// This engine's name among the replicas sharing its store: the owner of the leases it takes.
        /// A restarted engine of the same name takes its leases back at once. One process over an
        /// embedded store keeps the default; replicas sharing a database need names of their own
        /// (see ``LifecycleEngine/defaultReplicaName()``).
        public var replicaName = "local"
        /// How long an outbox intent or a periodic duty stays leased to the replica carrying it out;
        /// a replica that dies holding one leaves it to the others after this time.
        public var leaseSeconds = 60.0
        /// Times a state change is computed again from fresh reads when a concurrent writer changed
        /// the same activity first.
        public var conflictRetries = 20
        /// Where the engine says what it does: every state change, gate verdict, dispatch, retry and
        /// callback once, with `activity`, `task`, `decision` and `executor` as metadata, and every
        /// failure of background work with what was lost or will be tried again.
        public var logger = Logger(label: "tollgate.engine")
        /// Where the engine counts what it does not commit: dispatch attempts by executor and outcome
        /// (`tollgate_dispatches_total`).
        public var metrics: any MetricsFactory = NOOPMetricsHandler.instance

        public init() {}
    }

    let store: any LifecycleStore
    let gate: any PolicyGate
    let descriptors: any DescriptorSource
    let executors: ExecutorRegistry
    let options: Options
    let clock: @Sendable () -> Date
    /// Revisions whose policy source is known to be stored (read on the first commit).
    var storedRevisions: Set<String>?
    /// Parsed descriptors of unfinished activities (dropped when an activity finishes).
    var descriptorCache: [Int64: DataProductDescriptor] = [:]
    /// The other stages' context of each running activity (dropped when it finishes).
    var otherStagesCache: [Int64: [String: StageContext]] = [:]
    /// Outbox intents being carried out right now (the actor is re-entered while executors answer).
    var inFlight: Set<Int64> = []
    /// The fence of the lease under which each intent in ``inFlight`` is carried out.
    var heldLeases: [Int64: Int64] = [:]
    /// When each overdue callback-reporting task's executor was last asked for its status.
    var statusAskedAt: [Int64: Date] = [:]
    /// Secret headers per activity and executor, in memory only (lost on restart, by design).
    var secretHeaders: [Int64: [String: [String: String]]] = [:]

    /// Remembers secret headers for the executors of an activity (`executor → header → value`).
    /// They reach those executors with every dispatch of the activity and are never stored.
    public func setSecretHeaders(_ headers: [String: [String: String]], activityId: Int64) {
        guard !headers.isEmpty else { return }
        secretHeaders[activityId, default: [:]].merge(headers) { $1 }
    }

    public init(
        store: any LifecycleStore, gate: any PolicyGate, descriptors: any DescriptorSource, executors: ExecutorRegistry,
        options: Options = Options(), clock: @escaping @Sendable () -> Date = { Date() }
    ) throws(LifecycleError) {
        self.store = store
        self.gate = gate
        self.descriptors = descriptors
        self.executors = executors
        self.options = options
        self.clock = clock
    }

    /// A name for this process among replicas: host, process id and a random part.
    public static func defaultReplicaName() -> String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
    }

    // MARK: Reads

    public func activity(id: Int64) async throws(LifecycleError) -> Activity {
        guard let activity = try await read({ try await store.activity(id: id) }) else { throw .activityNotFound(id) }
        return activity
    }

    public func tasks(activityId: Int64) async throws(LifecycleError) -> [LifecycleTask] {
        try await read { try await store.tasks(activityId: activityId) }
    }

    public func task(id: Int64) async throws(LifecycleError) -> LifecycleTask {
        guard let task = try await read({ try await store.task(id: id) }) else { throw .taskNotFound(id) }
        return task
    }

    /// The context a task of `activityId` would receive now.
    public func context(activityId: Int64) async throws(LifecycleError) -> JSONValue {
        let activity = try await activity(id: activityId)
        let descriptor = try await descriptor(of: activity)
        return try await context(for: activity, tasks: tasks(activityId: activityId), descriptor: descriptor).jsonValue
    }

    // MARK: Helpers

    func read<T>(_ body: () async throws -> T) async throws(LifecycleError) -> T {
        do {
            return try await body()
        } catch let error as LifecycleError {
            throw error
        } catch let error as StoreUnavailable {
            throw .unavailable(error.description)
        } catch {
            throw .storage("\(error)")
        }
    }

    /// Runs `body`, a state change computed from fresh reads, again when a concurrent writer
    /// changed the same activity first (its commit was refused and wrote nothing).
    func serialized<T>(_ body: () async throws(LifecycleError) -> T) async throws(LifecycleError) -> T {
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch {
                guard case .conflict = error, attempt < options.conflictRetries else { throw error }
                attempt += 1
                try? await Task.sleep(for: .milliseconds(Int.random(in: 1...(2 << min(attempt, 6)))))
            }
        }
    }

    /// Commits `changes`: announces them, adds the policy sources the store lacks, leases the new
    /// outbox intents to this replica and fences the completions of those it carries out; then logs
    /// what they did (`about`: the metadata of what they concern when their rows do not say).
    @discardableResult
    func commit(_ changes: ChangeSet, about: Logger.Metadata = [:]) async throws(LifecycleError) -> CommittedChanges {
        var changes = changes
        if !changes.transitions.isEmpty || !changes.decisions.isEmpty {
            announceChanges(&changes, now: clock())
        }
        changes.leaseOwner = options.replicaName
        changes.leaseSeconds = options.leaseSeconds
        for id in changes.outboxDone.map(\.id) + changes.outboxRetry.map(\.id) {
            if let fence = heldLeases[id] { changes.fences[id] = fence }
        }
        do {
            if !changes.decisions.isEmpty {
                let known = try await knownRevisions()
                let needed = Set(changes.decisions.flatMap { $0.outcomes.map(\.revision) }).subtracting(known)
                if !needed.isEmpty { changes.policySources = gate.sources(revisions: needed) }
            }
            let committed = try await store.commit(changes)
            logCommitted(changes, committed, about: about)
            storedRevisions?.formUnion(changes.policySources.map(\.revision))
            for activity in changes.activities where activity.status.isFinished {
                descriptorCache[activity.id] = nil
                otherStagesCache[activity.id] = nil
            }
            let notifications = committed.outbox.filter { $0.kind == .notify }
            if !notifications.isEmpty {
                // Delivered after the commit, never holding up the change that caused them.
                Task { for intent in notifications { await self.deliver(intent, fresh: true) } }
            }
            return committed
        } catch let conflict as StoreConflict {
            throw conflict.leaseLost ? .leaseLost(conflict.description) : .conflict(conflict.description)
        } catch let error as LifecycleError {
            throw error
        } catch let error as StoreUnavailable {
            throw .unavailable(error.description)
        } catch {
            // What was read for an activity this change would have started is read again.
            otherStagesCache.removeAll()
            throw .storage("\(error)")
        }
    }

    private func knownRevisions() async throws -> Set<String> {
        if let storedRevisions { return storedRevisions }
        let stored = try await store.storedPolicyRevisions()
        storedRevisions = stored
        return stored
    }

    func descriptor(of activity: Activity) async throws(LifecycleError) -> DataProductDescriptor {
        if let cached = descriptorCache[activity.id] { return cached }
        let stored = try await read { try await store.descriptor(activityId: activity.id) }
        guard let document = activity.descriptor ?? stored else {
            throw .activityInvalid("activity \(activity.id) has no stored descriptor")
        }
        do {
            let descriptor = try DataProductDescriptor(document: document)
            descriptorCache[activity.id] = descriptor
            return descriptor
        } catch {
            throw .activityInvalid("stored descriptor of activity \(activity.id): \(error)")
        }
    }
}
