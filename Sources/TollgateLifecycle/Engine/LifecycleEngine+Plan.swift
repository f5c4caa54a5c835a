import Foundation
import TollgateJSON

extension LifecycleEngine {
    /// Plans an activity moving `version` of `dataProductId` to `stage`: one task per entry of the
    /// stage in the descriptor's `lifecycleInfo`. With `start`, starts it too (see ``startActivity``).
    public func createActivity(
        dataProductId: String, version: String, stage: String, principal: Principal, start: Bool = false
    ) async throws(LifecycleError) -> Activity {
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
        let activity = Activity(
            id: nextId(\.activity), dataProductId: dataProductId, dataProductVersion: version, stage: stage,
            createdAt: now, principal: principal.name, descriptor: descriptor.document)
        var changes = ChangeSet()
        changes.put(activity)
        changes.transitions.append(StatusTransition(entity: "activity", entityId: activity.id, from: nil, to: "PLANNED", at: now, decision: nil))
        for definition in definition.tasks {
            let task = LifecycleTask(
                id: nextId(\.task), activityId: activity.id, position: definition.position, key: definition.key,
                name: definition.name, executor: definition.executor, template: definition.template,
                configurations: definition.configurations, createdAt: now,
                timeoutSeconds: (definition.definition?["timeoutSeconds"] ?? definition.template?["timeoutSeconds"])?
                    .intValue.map(Int.init))
            changes.put(task)
            changes.transitions.append(StatusTransition(entity: "task", entityId: task.id, from: nil, to: "PLANNED", at: now, decision: nil))
        }
        try commit(changes)
        descriptorCache[activity.id] = descriptor
        if start { return try await startActivity(id: activity.id, principal: principal) }
        return activity
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
