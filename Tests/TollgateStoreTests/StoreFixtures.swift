import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle

/// Rows to commit in store tests.
enum StoreFixtures {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static func activity(_ id: Int64, version: String = "1.0.0", stage: String = "dev", status: ActivityStatus = .planned) -> Activity {
        Activity(
            id: id, dataProductId: "urn:product:orders", dataProductVersion: version, stage: stage, status: status, createdAt: now,
            principal: "ci", descriptor: ["dataProductDescriptor": "1.0.0", "info": ["version": .string(version)]])
    }

    static func task(_ id: Int64, activity: Int64, position: Int = 0) -> LifecycleTask {
        LifecycleTask(
            id: id, activityId: activity, position: position, key: "task\(position + 1)", name: "Task \(position + 1)", executor: "gitlab",
            template: ["project": "infra"], configurations: ["params": ["size": "small"]], createdAt: now, timeoutSeconds: 600)
    }

    static func decision(activity: Int64, input: JSONValue = ["event": "ACTIVITY_STAGE_TRANSITION"]) -> DecisionRecord {
        DecisionRecord(
            phase: .stageTransition, verdict: .pass, dataProductId: "urn:product:orders", dataProductVersion: "1.0.0", stage: "dev",
            activityId: activity, taskId: nil, principal: "ci", policySetRevision: String(repeating: "b", count: 64), input: input,
            outcomes: [
                GatePolicyOutcome(
                    policy: "stage-order", revision: String(repeating: "a", count: 64), file: "policies/stage-order.lua", blocking: true,
                    outcome: "allow", effect: "none", reasons: [], durationNanoseconds: 1_200, instructions: 90)
            ], gatedChange: "activity \(activity): PLANNED -> PROCESSING", createdAt: now)
    }

    /// A plan: one activity with `tasks` tasks, numbered by the store.
    static func plan(_ store: any LifecycleStore, version: String = "1.0.0", stage: String = "dev", tasks: Int = 2) async throws -> Activity {
        let ids = try await store.newIds(activities: 1, tasks: tasks)
        var changes = ChangeSet()
        changes.put(activity(ids.activities[0], version: version, stage: stage))
        for (position, id) in ids.tasks.enumerated() { changes.put(task(id, activity: ids.activities[0], position: position)) }
        try await store.commit(changes)
        return try #require(try await store.activity(id: ids.activities[0]))
    }
}
