import Foundation
import Tracing
public import TollgateJSON

extension LifecycleEngine {
    /// The context for tasks of `activity`: its own stage RUNNING with the results so far, and every
    /// other stage of the version whose latest activity succeeded, PROCESSED with its results.
    func context(for activity: Activity, tasks: [LifecycleTask], descriptor: DataProductDescriptor) async throws(LifecycleError)
        -> LifecycleContext
    {
        var entries = try await otherStages(of: activity, descriptor: descriptor)
        entries[activity.stage] = StageContext(status: .running, results: Self.results(of: tasks))
        return LifecycleContext(stageOrder: descriptor.lifecycle.stageNames, entries: entries)
    }

    /// The other stages of the version whose latest activity succeeded. While `activity` runs no other
    /// activity of its version can (one PROCESSING activity per version), so these are read once per
    /// running activity and kept until it finishes.
    private func otherStages(of activity: Activity, descriptor: DataProductDescriptor) async throws(LifecycleError) -> [String: StageContext] {
        if activity.status == .processing, let known = otherStagesCache[activity.id] { return known }
        var entries: [String: StageContext] = [:]
        for stage in descriptor.lifecycle.stageNames where stage != activity.stage {
            let filter = ActivityFilter(
                dataProductId: activity.dataProductId, dataProductVersion: activity.dataProductVersion, stage: stage,
                status: .processed)
            let done = try await read { try await store.activities(matching: filter) }
            guard let latest = done.max(by: { ($0.finishedAt ?? .distantPast, $0.id) < ($1.finishedAt ?? .distantPast, $1.id) })
            else { continue }
            let latestTasks = try await read { try await store.tasks(activityId: latest.id) }
            entries[stage] = StageContext(status: .processed, finishedAt: latest.finishedAt, results: Self.results(of: latestTasks) ?? [:])
        }
        if activity.status == .processing { otherStagesCache[activity.id] = entries }
        return entries
    }

    /// The context of a version as a task of its next activity would see it: every stage whose
    /// latest activity succeeded, and the stage of a running activity, if any.
    public func context(dataProductId: String, version: String) async throws(LifecycleError) -> JSONValue {
        let all = try await read { try await store.activities(matching: ActivityFilter(dataProductId: dataProductId, dataProductVersion: version)) }
        if let running = all.last(where: { $0.status == .processing }) {
            return try await context(activityId: running.id)
        }
        guard let any = all.last else { return .object([:]) }
        let descriptor = try await descriptor(of: any)
        var entries: [String: StageContext] = [:]
        for stage in descriptor.lifecycle.stageNames {
            guard let latest = all.filter({ $0.stage == stage && $0.status == .processed }).max(by: { $0.id < $1.id }) else { continue }
            let tasks = try await read { try await store.tasks(activityId: latest.id) }
            entries[stage] = StageContext(status: .processed, finishedAt: latest.finishedAt, results: Self.results(of: tasks) ?? [:])
        }
        return LifecycleContext(stageOrder: descriptor.lifecycle.stageNames, entries: entries).jsonValue
    }

    /// Results of the finished-successfully tasks by key, in task order; nil when there are none.
    static func results(of tasks: [LifecycleTask]) -> JSONObject? {
        let done = tasks.filter { $0.status == .processed }.sorted { $0.position < $1.position }
        guard !done.isEmpty else { return nil }
        var object = JSONObject()
        for task in done { object[task.key] = task.results ?? .null }
        return object
    }

    func stageHistory(of activity: Activity) async throws(LifecycleError) -> [StageRecord] {
        try await read { try await store.stageRecords(dataProductId: activity.dataProductId, version: activity.dataProductVersion) }
            .sorted { $0.id < $1.id }
    }

    /// Asks the gate and returns its decision with the record to log.
    func decide(
        _ phase: GatePhase, activity: Activity, tasks: [LifecycleTask], descriptor: DataProductDescriptor,
        principal: Principal, now: Date, task: LifecycleTask? = nil, report: TaskReport? = nil
    ) async throws(LifecycleError) -> (GateDecision, DecisionRecord) {
        let builder = PolicyInputBuilder(
            now: now, principal: principal, activity: activity, descriptor: descriptor, tasks: tasks,
            history: try await stageHistory(of: activity),
            context: try await context(for: activity, tasks: tasks, descriptor: descriptor))
        let input = builder.input(phase, task: task, report: report)
        let decision = await withSpan("gate \(phase.rawValue)", ofKind: .internal) { span in
            let decision = await gate.evaluate(phase, input: input)
            span.attributes["tollgate.phase"] = phase.rawValue
            span.attributes["tollgate.verdict"] = decision.verdict.rawValue
            span.attributes["tollgate.activity"] = activity.id
            if let task { span.attributes["tollgate.task"] = task.id }
            span.attributes["tollgate.policy_set_revision"] = decision.policySetRevision
            span.attributes["tollgate.policies"] = decision.outcomes.map { "\($0.policy)=\($0.outcome)" }
            if decision.verdict == .block { span.setStatus(SpanStatus(code: .error, message: "blocked by policy")) }
            return decision
        }
        let record = DecisionRecord(
            phase: phase, verdict: decision.verdict, dataProductId: activity.dataProductId,
            dataProductVersion: activity.dataProductVersion, stage: activity.stage, activityId: activity.id,
            taskId: task?.id, principal: principal.name, policySetRevision: decision.policySetRevision, input: options.masking.mask(input),
            outcomes: decision.outcomes, gatedChange: "", createdAt: now)
        return (decision, record)
    }
}
