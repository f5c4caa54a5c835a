import Foundation
import TollgateJSON

extension LifecycleEngine {
    /// Starts a PLANNED activity. The stage-transition policies decide first: a block leaves the
    /// activity PLANNED, records the decision and throws ``LifecycleError/blocked(phase:decisionSequence:reasons:)``.
    /// Otherwise the activity becomes PROCESSING and its first task is dispatched.
    @discardableResult
    public func startActivity(id: Int64, principal: Principal) async throws(LifecycleError) -> Activity {
        try await serialized { () async throws(LifecycleError) in
            var activity = try await activity(id: id)
            guard activity.status == .planned else { throw .activityNotPlanned(id, status: activity.status) }
            try await checkVersionIsFree(activity)
            let descriptor = try await descriptor(of: activity)
            var tasks = try await tasks(activityId: id)
            var changes = ChangeSet()
            let refusal = try await start(&changes, activity: &activity, tasks: &tasks, descriptor: descriptor, principal: principal, now: clock())
            try await finishStart(changes, refusal: refusal)
        }
        return try await self.activity(id: id)
    }

    /// Starts one task (ODM's `PATCH /tasks/{id}/status?action=START`). A task of a PLANNED activity
    /// starts its activity, through the stage-transition gate, as a whole start would: tasks run in
    /// order, so the activity's first task is the one dispatched. A PROCESSING task whose dispatch
    /// waits for a retry is dispatched now. `secretHeaders` reach the activity's executors (see
    /// ``setSecretHeaders(_:activityId:)``).
    public func startTask(
        id: Int64, principal: Principal, secretHeaders: [String: [String: String]] = [:]
    ) async throws(LifecycleError) -> LifecycleTask {
        let task = try await task(id: id)
        setSecretHeaders(secretHeaders, activityId: task.activityId)
        guard task.status == .planned else {
            try await retryDispatch(taskId: id)
            return try await self.task(id: id)
        }
        let activity = try await activity(id: task.activityId)
        guard activity.status == .planned else {
            throw .invalidTaskAction(
                "task \(id) waits for its turn in activity \(activity.id), which is \(activity.status.rawValue); "
                    + "tasks run in order and start when the one before them has finished")
        }
        try await startActivity(id: activity.id, principal: principal)
        return try await self.task(id: id)
    }

    /// Refuses to start an activity while another activity of the same version runs.
    func checkVersionIsFree(_ activity: Activity) async throws(LifecycleError) {
        let busy = ActivityFilter(
            dataProductId: activity.dataProductId, dataProductVersion: activity.dataProductVersion, status: .processing)
        if let running = try await read({ try await store.activities(matching: busy) }).first { throw .versionBusy(running.id) }
    }

    /// Adds the start of a PLANNED `activity` to `changes`: the stage-transition decision and, unless
    /// it blocks, the move to PROCESSING and the first task's dispatch. Returns the block's reasons.
    func start(
        _ changes: inout ChangeSet, activity: inout Activity, tasks: inout [LifecycleTask], descriptor: DataProductDescriptor,
        principal: Principal, now: Date
    ) async throws(LifecycleError) -> [String]? {
        changes.expect(activity)
        var (decision, record) = try await decide(
            .stageTransition, activity: activity, tasks: tasks, descriptor: descriptor, principal: principal, now: now)
        if decision.verdict == .block {
            record.gatedChange = "activity \(activity.id) stays PLANNED: start blocked"
            changes.decisions.append(record)
            return decision.blockingReasons
        }
        record.gatedChange = "activity \(activity.id): PLANNED -> PROCESSING"
        changes.decisions.append(record)
        activity.status = .processing
        activity.startedAt = now
        changes.put(activity)
        changes.transitions.append(
            StatusTransition(entity: "activity", entityId: activity.id, from: "PLANNED", to: "PROCESSING", at: now, decision: changes.decisions.count - 1))
        try await advance(&changes, activity: &activity, tasks: &tasks, descriptor: descriptor, principal: principal, now: now)
        return nil
    }

    /// Commits a start made by ``start(_:activity:tasks:descriptor:principal:now:)``, then dispatches,
    /// or throws the block (its decision committed).
    func finishStart(_ changes: ChangeSet, refusal: [String]?) async throws(LifecycleError) {
        let committed = try await commit(changes)
        if let refusal {
            let sequence = committed.decisions.last { $0.phase == .stageTransition }?.sequence ?? 0
            throw .blocked(phase: .stageTransition, decisionSequence: sequence, reasons: refusal)
        }
        await carryOut(committed.outbox)
    }

    /// Aborts a PLANNED or PROCESSING activity: its unfinished tasks become ABORTED, and late
    /// callbacks for them are refused.
    @discardableResult
    public func abortActivity(id: Int64) async throws(LifecycleError) -> Activity {
        try await serialized { () async throws(LifecycleError) in try await abortOnce(id: id) }
    }

    private func abortOnce(id: Int64) async throws(LifecycleError) -> Activity {
        var activity = try await activity(id: id)
        guard activity.status == .planned || activity.status == .processing else {
            throw .invalidActivityAction("activity \(id) is \(activity.status.rawValue); only PLANNED or PROCESSING activities can be aborted")
        }
        let now = clock()
        var changes = ChangeSet()
        var tasks = try await tasks(activityId: id)
        let from = activity.status
        activity.status = .aborted
        activity.finishedAt = now
        changes.put(activity)
        changes.transitions.append(StatusTransition(entity: "activity", entityId: id, from: from.rawValue, to: "ABORTED", at: now, decision: nil))
        await abortUnfinished(&changes, tasks: &tasks, now: now, reason: "activity \(id) was aborted")
        let committed = try await commit(changes)
        Task { await carryOut(committed.outbox) }
        return try await self.activity(id: id)
    }

    func abortUnfinished(_ changes: inout ChangeSet, tasks: inout [LifecycleTask], now: Date, reason: String) async {
        for i in tasks.indices where !tasks[i].status.isFinished {
            let from = tasks[i].status
            tasks[i].status = .aborted
            tasks[i].finishedAt = now
            if from == .processing {
                changes.history.append(
                    ExecutionEvent(taskId: tasks[i].id, at: now, kind: "aborted", message: reason))
                await queueCancel(&changes, task: tasks[i], reason: reason, now: now)
            }
            changes.put(tasks[i])
            changes.transitions.append(
                StatusTransition(entity: "task", entityId: tasks[i].id, from: from.rawValue, to: "ABORTED", at: now, decision: nil))
        }
    }
}
