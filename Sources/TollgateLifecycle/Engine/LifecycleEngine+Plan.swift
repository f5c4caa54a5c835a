import Foundation
import TollgateJSON

extension LifecycleEngine {
    /// Plans an activity moving `version` of `dataProductId` to `stage`: one task per entry of the
    /// stage in the descriptor's `lifecycleInfo`. With `start`, starts it too (see ``startActivity``),
    /// throwing what refused the start (the activity then stays PLANNED).
    public func createActivity(
        dataProductId: String, version: String, stage: String, principal: Principal, start: Bool = false
    ) async throws(LifecycleError) -> Activity {
        let creation = try await createActivity(
            dataProductId: dataProductId, version: version, stage: stage, principal: principal, startWith: start ? [:] : nil)
        return try creation.started?.get() ?? creation.activity
    }

    /// What ``createActivity(dataProductId:version:stage:principal:startWith:)`` did.
    public struct Creation: Sendable {
        /// The activity as planned.
        public var activity: Activity
        /// The activity after its start, or what refused the start; nil when no start was asked for.
        public var started: Result<Activity, LifecycleError>?
    }

    /// Plans an activity and, with `startWith` (the secret headers for its executors, see
    /// ``setSecretHeaders(_:activityId:)``), starts it in the same commit: the plan and the
    /// stage-transition decision are written together. A refused start leaves the activity PLANNED.
    public func createActivity(
        dataProductId: String, version: String, stage: String, principal: Principal, startWith secretHeaders: [String: [String: String]]?
    ) async throws(LifecycleError) -> Creation {
        let descriptor: DataProductDescriptor
        do {
            descriptor = try await descriptors.descriptor(productId: dataProductId, version: version)
        } catch {
            switch error {
            case .notFound(let message): throw .activityInvalid(message)
            case .unreachable(let message): throw .registry(message)
            case .invalid(let problem): throw .activityInvalid("the descriptor of \(dataProductId) \(version) is invalid: \(problem)")
            }
        }
        guard let definition = descriptor.lifecycle.stage(stage) else {
            let stages = descriptor.lifecycle.stageNames
            throw .activityInvalid(
                "stage '\(stage)' is not declared in lifecycleInfo of \(dataProductId) \(version) (stages: "
                    + (stages.isEmpty ? "none" : stages.joined(separator: ", ")) + ")")
        }
        let planned = ActivityFilter(dataProductId: dataProductId, dataProductVersion: version, stage: stage, status: .planned)
        if let existing = try read({ try store.activities(matching: planned) }).first {
            throw .activityAlreadyExists(existing.id)
        }
        let now = clock()
        var activity = Activity(
            id: nextId(\.activity), dataProductId: dataProductId, dataProductVersion: version, stage: stage,
            createdAt: now, principal: principal.name, descriptor: descriptor.document)
        var changes = ChangeSet()
        var tasks: [LifecycleTask] = []
        changes.put(activity)
        changes.transitions.append(StatusTransition(entity: "activity", entityId: activity.id, from: nil, to: "PLANNED", at: now, decision: nil))
        for definition in definition.tasks {
            let task = LifecycleTask(
                id: nextId(\.task), activityId: activity.id, position: definition.position, key: definition.key,
                name: definition.name, executor: definition.executor, template: definition.template,
                configurations: definition.configurations, createdAt: now,
                timeoutSeconds: (definition.definition?["timeoutSeconds"] ?? definition.template?["timeoutSeconds"])?
                    .intValue.map(Int.init))
            tasks.append(task)
            changes.put(task)
            changes.transitions.append(StatusTransition(entity: "task", entityId: task.id, from: nil, to: "PLANNED", at: now, decision: nil))
        }
        let plannedActivity = activity
        guard let secretHeaders else {
            try commit(changes)
            descriptorCache[activity.id] = descriptor
            return Creation(activity: activity)
        }
        setSecretHeaders(secretHeaders, activityId: activity.id)
        do throws(LifecycleError) {
            try checkVersionIsFree(activity)
        } catch {
            try commit(changes)
            descriptorCache[activity.id] = descriptor
            return Creation(activity: activity, started: .failure(error))
        }
        descriptorCache[activity.id] = descriptor
        do throws(LifecycleError) {
            let refusal = try start(&changes, activity: &activity, tasks: &tasks, descriptor: descriptor, principal: principal, now: now)
            try await finishStart(changes, refusal: refusal)
        } catch {
            if case .blocked = error { return Creation(activity: plannedActivity, started: .failure(error)) }
            // Nothing was written: the plan goes with the start.
            descriptorCache[activity.id] = nil
            self.secretHeaders[activity.id] = nil
            throw error
        }
        return Creation(activity: plannedActivity, started: .success(try self.activity(id: activity.id)))
    }

    /// Deletes a PLANNED activity and its tasks.
    public func deleteActivity(id: Int64) throws(LifecycleError) {
        let activity = try activity(id: id)
        guard activity.status == .planned else {
            throw .invalidActivityAction("activity \(id) is \(activity.status.rawValue); only a PLANNED activity can be deleted")
        }
        do { try store.deleteActivity(id: id) } catch { throw .storage("\(error)") }
        descriptorCache[id] = nil
    }
}
