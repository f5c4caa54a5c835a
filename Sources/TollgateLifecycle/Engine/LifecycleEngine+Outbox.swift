import Foundation
import Logging
import Tracing
import TollgateJSON

extension LifecycleEngine {
    /// Carries out intents this replica just committed (and so holds the lease of), recording
    /// each outcome.
    func carryOut(_ intents: [OutboxIntent]) async {
        let work = intents.filter { $0.kind != .notify }
        guard !work.isEmpty else { return }
        if options.dispatchInline {
            for intent in work { await carryOut(intent) }
        } else {
            Task { for intent in work { await self.carryOut(intent) } }
        }
    }

    private func carryOut(_ intent: OutboxIntent) async {
        switch intent.kind {
        case .dispatchTask: await dispatch(intent, fresh: true)
        case .cancelTask: await cancel(intent, fresh: true)
        case .collectLogs: await collectLogs(intent, fresh: true)
        case .notify: break
        }
    }

    /// The wait before trying an outbox intent again after its `attempt`-th failure: `first`,
    /// doubling with each attempt, at most `maximum` (seconds).
    static func backoff(attempt: Int, first: Double, maximum: Double) -> Double {
        min(pow(2, Double(max(0, attempt - 1))) * first, maximum)
    }

    /// Puts an executor intent (dispatch, cancel, log collection) back for another try after a failed
    /// attempt, with the executor backoff, or later when the executor's service asked for longer
    /// (`retryAfter`, seconds). Returns how the wait reads in the task's history:
    /// `attempt N; next in S s`.
    @discardableResult
    func retryLater(
        _ changes: inout ChangeSet, _ intent: OutboxIntent, reason: String, now: Date, retryAfter: Double? = nil, steady: Bool = false
    ) -> String {
        let attempt = intent.attempts + 1
        // Waiting for something of our own (not a failure) is retried at the first interval, not backed off.
        let backoff =
            steady
            ? options.dispatchBackoffSeconds
            : Self.backoff(attempt: attempt, first: options.dispatchBackoffSeconds, maximum: options.dispatchMaxBackoffSeconds)
        let delay = max(backoff, retryAfter ?? 0)
        changes.outboxRetry.append((intent.id, reason, now.addingTimeInterval(delay)))
        return "attempt \(attempt); next in \(Int(delay.rounded(.up))) s"
    }

    /// Runs `work` on the current state of an outbox intent under its lease, unless another caller
    /// (here or on another replica) is carrying it out, it is done, or its next attempt is not due
    /// yet. `fresh` intents were just committed by this replica, which holds their first lease;
    /// others are claimed from the store first. The completions `work` commits are fenced with the
    /// lease, so they are refused once another replica has taken the intent over.
    func carryOutOnce(_ stale: OutboxIntent, fresh: Bool, _ work: (OutboxIntent, Date) async -> Void) async {
        guard inFlight.insert(stale.id).inserted else { return }
        defer {
            inFlight.remove(stale.id)
            heldLeases[stale.id] = nil
        }
        let now = clock()
        var intent = stale
        if fresh {
            heldLeases[stale.id] = 1
        } else {
            let about: Logger.Metadata = ["intent": "\(stale.id)"]
            guard let read = await readInBackground("outbox intent \(stale.id)", about: about, { try await store.outboxIntent(id: stale.id) }),
                let current = read, current.doneAt == nil
            else { return }
            if let next = current.nextAttemptAt, next > now { return }
            guard
                let claimed = await logFailure(
                    "claiming outbox intent \(stale.id)", about: about,
                    { try await store.claimIntent(id: stale.id, owner: options.replicaName, seconds: options.leaseSeconds) }),
                let lease = claimed
            else { return }
            options.logger.trace("claimed outbox intent \(stale.id)", metadata: ["intent": "\(stale.id)", "fence": "\(lease.fence)"])
            heldLeases[stale.id] = lease.fence
            intent = current
        }
        await work(intent, now)
    }

    /// Whether this replica still holds its lease on `intent` (renewed for another lease period).
    func stillHolds(_ intent: OutboxIntent) async -> Bool {
        guard let fence = heldLeases[intent.id] else { return false }
        let lease = Lease(fence: fence)
        let about: Logger.Metadata = ["intent": "\(intent.id)", "fence": "\(fence)"]
        let renewed = await logFailure("renewing the lease of outbox intent \(intent.id)", about: about) {
            try await store.renewIntent(id: intent.id, owner: options.replicaName, lease: lease, seconds: options.leaseSeconds)
        }
        if renewed == false {
            options.logger.notice("lease of outbox intent \(intent.id) lost to another replica; left to it", metadata: about)
        }
        return renewed ?? false
    }

    /// Commits `changes` with the update `update` makes to the current state of task `taskId` of
    /// activity `activityId` (returning whether it changed it), expecting the activity at the
    /// version read before the task; computed again from fresh reads while a concurrent writer
    /// changes the activity first.
    func commit(
        _ changes: ChangeSet, updatingTask taskId: Int64, of activityId: Int64, about: Logger.Metadata = [:],
        _ update: (inout ChangeSet, inout LifecycleTask) async -> Bool
    ) async throws(LifecycleError) -> CommittedChanges {
        try await serialized { () async throws(LifecycleError) in
            var attempt = changes
            // The version first: a task read before it could miss a change the version check would
            // then let this commit undo.
            let activity = try await activity(id: activityId)
            var task = try await task(id: taskId)
            if await update(&attempt, &task) {
                attempt.expect(activity)
                attempt.put(task)
            }
            return try await commit(attempt, about: about.merging(["activity": "\(activityId)", "task": "\(taskId)"]) { $1 })
        }
    }

    func dispatch(_ stale: OutboxIntent, fresh: Bool = false) async {
        await carryOutOnce(stale, fresh: fresh) { intent, now in
            var changes = ChangeSet()
            guard let taskId = intent.taskId, var request = DispatchRequest(json: intent.payload) else {
                changes.outboxDone.append((intent.id, "unreadable intent"))
                await record(changes, "an unreadable dispatch intent", about: ["intent": "\(intent.id)"])
                return
            }
            let about = request.logMetadata
            guard let task = await task(taskId, of: intent, to: "dispatch", about: about) else { return }
            guard task.status == .processing else {
                changes.outboxDone.append((intent.id, "task \(taskId) is \(task.status.rawValue); not dispatched"))
                await record(changes, "a dispatch no longer needed", about: about)
                return
            }
            guard let executor = executors[request.executor] else {
                changes.outboxDone.append((intent.id, "no executor \(request.executor)"))
                await record(changes, "a dispatch to an unknown executor", about: about)
                await reportInBackground(
                    taskId: taskId, TaskReport(status: .failed, errors: "no executor named '\(request.executor)' is configured"), about: about)
                return
            }
            prepare(&request, dispatch: intent, task: task)
            // A replica paused past its lease must not send what another replica now owns.
            guard await stillHolds(intent) else { return }
            // A retry, or a dispatch found pending after a restart, may have reached the executor before.
            request.mayHaveLanded = !fresh || intent.attempts > 0
            do throws(ExecutorError) {
                let outcome = try await dispatchSpan(request) { request throws(ExecutorError) in try await executor.dispatch(request) }
                countDispatch(executor: request.executor, outcome: "accepted")
                changes.outboxDone.append((intent.id, nil))
                switch outcome {
                case .accepted(let reference):
                    changes.history.append(
                        ExecutionEvent(
                            taskId: taskId, at: now, kind: "dispatched",
                            message: "accepted by \(request.executor)" + (reference.map { " as \($0)" } ?? "")))
                    let committed = await logFailure("recording the dispatch of task \(taskId)", about: about) {
                        try await commit(changes, updatingTask: taskId, of: task.activityId, about: about) { changes, current in
                            let waited = current.status == .processing && current.errors != nil
                            if waited { current.errors = nil }  // the executor took it: no longer waiting for it
                            if let reference { current.executorReference = reference }
                            if reference != nil, current.status != .processing, current.status != .processed,
                                !(await readInBackground("the cancel intents of task \(taskId)", about: about, { try await store.outbox(taskId: taskId, kind: .cancelTask) }) ?? [])
                                    .contains(where: { $0.doneAt == nil })
                            {
                                // Failed or aborted while the executor was taking it, and no cancel is on its
                                // way: cancel what it started. (A task its run completed by callback before
                                // this answer was recorded has nothing to cancel; its logs follow.)
                                await queueCancel(&changes, task: current, reason: "task \(taskId) ended while it was being dispatched", now: now)
                            }
                            return waited || reference != nil
                        }
                    }
                    await carryOut(committed?.outbox ?? [])
                case .finished(let report):
                    changes.history.append(
                        ExecutionEvent(taskId: taskId, at: now, kind: "dispatched", message: "\(request.executor) finished it at once"))
                    await record(changes, "the dispatch of task \(taskId)", about: about)
                    await reportInBackground(
                        taskId: taskId, report, principal: Principal(name: request.executor, roles: ["executor"]), about: about)
                }
            } catch {
                let limit = options.dispatchRetrySeconds[request.executor] ?? options.defaultDispatchRetrySeconds
                if error.retryable, now.timeIntervalSince(intent.createdAt) < limit {
                    countDispatch(executor: request.executor, outcome: "retried")
                    let wait = retryLater(&changes, intent, reason: error.message, now: now, retryAfter: error.retryAfter)
                    changes.history.append(
                        ExecutionEvent(taskId: taskId, at: now, kind: "executor-error", message: "\(error.message) (\(wait))"))
                    // Read again: the task may have ended (an abort) while the executor was called.
                    _ = await logFailure("recording the failed dispatch of task \(taskId)", about: about) {
                        try await commit(changes, updatingTask: taskId, of: task.activityId, about: about) { _, waiting in
                            guard waiting.status == .processing else { return false }
                            waiting.errors =
                                "executor '\(request.executor)' could not take the task: \(error.message); \(wait); "
                                + "the task fails if the executor cannot be reached within \(Int(limit)) s of its dispatch"
                            return true
                        }
                    }
                    return
                }
                countDispatch(executor: request.executor, outcome: error.retryable ? "given-up" : "refused")
                if error.retryable {
                    let attempts = intent.attempts + 1
                    changes.outboxDone.append((intent.id, "given up after \(attempts) attempts: \(error.message)"))
                    changes.history.append(ExecutionEvent(taskId: taskId, at: now, kind: "executor-error", message: error.message))
                    await record(changes, "a dispatch given up", about: about)
                    await reportInBackground(
                        taskId: taskId,
                        TaskReport(
                            status: .failed,
                            errors: "\(ExecutorError.unreachableCode) Executor service is disabled or not reachable: executor "
                                + "'\(request.executor)' could not be reached within \(Int(limit)) s (\(attempts) attempts); "
                                + "last error: \(error.message)"),
                        about: about)
                    return
                }
                changes.outboxDone.append((intent.id, error.message))
                changes.history.append(ExecutionEvent(taskId: taskId, at: now, kind: "executor-error", message: error.message))
                await record(changes, "a dispatch the executor refused", about: about)
                await reportInBackground(
                    taskId: taskId,
                    TaskReport(status: .failed, errors: "executor \(request.executor) could not run the task: \(error.message)"),
                    about: about)
            }
        }
    }

    /// Start-up and periodic duty: carries out pending intents, asks executors about tasks whose
    /// result never arrived, and fails tasks that ran past their timeout.
    public func recover() async {
        if let pending = await readInBackground("the pending outbox", about: [:], { try await store.pendingOutbox() }) {
            for intent in pending where !inFlight.contains(intent.id) {
                switch intent.kind {
                case .dispatchTask: await dispatch(intent)
                case .notify: await deliver(intent)
                case .cancelTask: await cancel(intent)
                case .collectLogs: await collectLogs(intent)
                }
            }
        }
        // Watching running tasks (timeouts, asking executors) is one replica's duty at a time.
        let duty: Logger.Metadata = ["duty": "watch-tasks"]
        guard
            let claimed = await logFailure(
                "claiming the duty of watching running tasks", about: duty,
                { try await store.claimDuty("watch-tasks", owner: options.replicaName, seconds: options.leaseSeconds) }),
            claimed != nil,
            let running = await readInBackground("the running tasks", about: duty, { try await store.tasks(status: .processing) })
        else { return }
        let now = clock()
        let runningIds = Set(running.map(\.id))
        statusAskedAt = statusAskedAt.filter { runningIds.contains($0.key) }  // forget tasks that ended
        for task in running {
            let about: Logger.Metadata = ["activity": "\(task.activityId)", "task": "\(task.id)", "executor": "\(task.executor ?? "")"]
            guard let intents = await readInBackground("the dispatches of task \(task.id)", about: about, { try await store.outbox(taskId: task.id, kind: .dispatchTask) })
            else { continue }
            if intents.contains(where: { inFlight.contains($0.id) }) { continue }
            let timeout = task.timeoutSeconds ?? options.defaultTaskTimeoutSeconds
            let overdue = task.startedAt.map { now.timeIntervalSince($0) > Double(timeout) } ?? false
            if let pending = intents.first(where: { $0.doneAt == nil }) {
                // Still not delivered: give up only when the task's time is over.
                guard overdue else { continue }
                var changes = ChangeSet()
                changes.outboxDone.append((pending.id, "given up: the task timed out before the executor took it"))
                await record(changes, "a dispatch given up at the task's timeout", about: about)
                await reportInBackground(
                    taskId: task.id,
                    TaskReport(
                        status: .failed,
                        errors: "executor \(task.executor ?? "?") could not be reached within \(timeout) seconds"
                            + (pending.lastError.map { " (last error: \($0))" } ?? "")),
                    about: about)
                continue
            }
            if let name = task.executor, let executor = executors[name], executor.reportsByCallback {
                await awaitCallback(task, executor: name, timeout: timeout, overdue: overdue, now: now, about: about)
                continue
            }
            if let report = await reconcile(task, about: about) {
                await reportInBackground(taskId: task.id, report, about: about)
                continue
            }
            if overdue {
                await reportInBackground(
                    taskId: task.id,
                    TaskReport(status: .failed, errors: "timed out: no result within \(timeout) seconds of dispatch"),
                    cancelRun: "the task timed out", about: about)
            }
        }
    }

    /// A task whose executor reports its results by callback: its status is asked only once the
    /// callback is overdue, and only a failed or aborted run ends the task before the callback comes.
    /// A PROCESSED status carries no results, so the task waits for the callback until its timeout.
    private func awaitCallback(_ task: LifecycleTask, executor: String, timeout: Int, overdue: Bool, now: Date, about: Logger.Metadata) async {
        let since = task.startedAt.map { now.timeIntervalSince($0) } ?? 0
        let lastAsked = statusAskedAt[task.id]
        let due = since >= options.callbackOverdueSeconds
            && (lastAsked.map { now.timeIntervalSince($0) >= options.callbackOverdueSeconds } ?? true)
        var processed = false
        if due || overdue {
            statusAskedAt[task.id] = now
            if let report = await reconcile(task, about: about) {
                if report.status != .processed {
                    statusAskedAt[task.id] = nil
                    await reportInBackground(taskId: task.id, report, about: about)
                    return
                }
                processed = true
                if lastAsked == nil {
                    var changes = ChangeSet()
                    changes.history.append(
                        ExecutionEvent(
                            taskId: task.id, at: now, kind: "awaiting-callback",
                            message: "executor \(executor) reports the task PROCESSED; waiting for its callback with the results"))
                    await record(changes, "that task \(task.id) awaits its callback", about: about)
                }
            }
        }
        guard overdue else { return }
        statusAskedAt[task.id] = nil
        let errors =
            processed
            ? "timed out: executor \(executor) reports the task PROCESSED, but its callback with the results did not come within \(timeout) seconds"
            : "timed out: no result within \(timeout) seconds of dispatch"
        await reportInBackground(taskId: task.id, TaskReport(status: .failed, errors: errors), cancelRun: "the task timed out", about: about)
    }

    /// The executor's word on a task, if it can give one.
    func reconcile(_ task: LifecycleTask, about: Logger.Metadata) async -> TaskReport? {
        guard let name = task.executor, let executor = executors[name],
            let intents = await readInBackground("the dispatches of task \(task.id)", about: about, { try await store.outbox(taskId: task.id, kind: .dispatchTask) }),
            let intent = intents.last,
            var request = DispatchRequest(json: intent.payload)
        else { return nil }
        prepare(&request, dispatch: intent, task: task)
        do throws(ExecutorError) {
            return try await inTrace(of: request) { () throws(ExecutorError) in try await executor.status(of: request) }
        } catch {
            options.logger.warning(
                "asking executor \(name) about task \(task.id) failed: \(error.message); asked again at the next recovery round", metadata: about)
            return nil
        }
    }
}

extension LifecycleEngine {
    /// Carries out a task's pending dispatch now (instead of at the next recovery round).
    /// Throws when the task has none: tasks start with their activity, in order.
    public func retryDispatch(taskId: Int64) async throws(LifecycleError) {
        let task = try await task(id: taskId)
        let pending = (try await read { try await store.outbox(taskId: taskId, kind: .dispatchTask) }).filter { $0.doneAt == nil }
        guard task.status == .processing, let intent = pending.first else {
            throw .invalidTaskAction(
                "task \(taskId) is \(task.status.rawValue) with no dispatch waiting; tasks start with their activity, in order")
        }
        await dispatch(intent)
    }
}

