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
        return try await serialized { () async throws(LifecycleError) in
            if let existing = try await read({ try await store.activities(matching: planned) }).first {
                throw .activityAlreadyExists(existing.id)
            }
            let ids = try await read { try await store.newIds(activities: 1, tasks: definition.tasks.count) }
            return try await plan(
                descriptor: descriptor, stage: definition, ids: ids, dataProductId: dataProductId, version: version,
                principal: principal, startWith: secretHeaders)
        }
    }

    /// Plans (and with `secretHeaders`, starts) one activity numbered with `ids`.
    private func plan(
        descriptor: DataProductDescriptor, stage definition: LifecycleDescriptor.Stage, ids: NewIds, dataProductId: String, version: String,
        principal: Principal, startWith secretHeaders: [String: [String: String]]?
    ) async throws(LifecycleError) -> Creation {
        let now = clock()
        var activity = Activity(
            id: ids.activities[0], dataProductId: dataProductId, dataProductVersion: version, stage: definition.name,
            createdAt: now, principal: principal.name, descriptor: descriptor.document)
        var changes = ChangeSet()
        var tasks: [LifecycleTask] = []
        changes.put(activity)
        changes.transitions.append(StatusTransition(entity: "activity", entityId: activity.id, from: nil, to: "PLANNED", at: now, decision: nil))
        for (definition, id) in zip(definition.tasks, ids.tasks) {
            let task = LifecycleTask(
                id: id, activityId: activity.id, position: definition.position, key: definition.key,
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
            try await commit(changes)
            descriptorCache[activity.id] = descriptor
            return Creation(activity: try await self.activity(id: activity.id))
        }
        setSecretHeaders(secretHeaders, activityId: activity.id)
        do throws(LifecycleError) {
            try await checkVersionIsFree(activity)
        } catch {
            try await commit(changes)
            descriptorCache[activity.id] = descriptor
            return Creation(activity: try await self.activity(id: activity.id), started: .failure(error))
        }
        descriptorCache[activity.id] = descriptor
        do throws(LifecycleError) {
            let refusal = try await start(&changes, activity: &activity, tasks: &tasks, descriptor: descriptor, principal: principal, now: now)
            try await finishStart(changes, refusal: refusal)
        } catch {
            if case .blocked = error { return Creation(activity: try await self.activity(id: activity.id), started: .failure(error)) }
            // Nothing was written: the plan goes with the start.
            descriptorCache[activity.id] = nil
            self.secretHeaders[activity.id] = nil
            throw error
        }
        return Creation(activity: plannedActivity, started: .success(try await self.activity(id: activity.id)))
    }

    /// Deletes a PLANNED activity and its tasks.
    public func deleteActivity(id: Int64) async throws(LifecycleError) {
        try await serialized { () async throws(LifecycleError) in
            let activity = try await activity(id: id)
            guard activity.status == .planned else {
                throw .invalidActivityAction("activity \(id) is \(activity.status.rawValue); only a PLANNED activity can be deleted")
            }
            do { try await store.deleteActivity(id: id) } catch let conflict as StoreConflict {
                throw .conflict(conflict.description)
            } catch {
                throw .storage("\(error)")
            }
        }
        descriptorCache[id] = nil
    }
}
