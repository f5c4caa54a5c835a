import Foundation
import Synchronization
import TollgateJSON
import TollgateLifecycle

/// The decision chain's append rate on one store: `writers` concurrent writers, each committing
/// one decision per transaction (the chain head is the one row every append locks), for `duration`.
func chainAppendsPerSecond(store: any LifecycleStore, writers: Int, duration: Duration) async throws -> Double {
    let ids = try await store.newIds(activities: writers, tasks: 0)
    var changes = ChangeSet()
    for (index, id) in ids.activities.enumerated() {
        changes.put(
            Activity(
                id: id, dataProductId: "urn:bench:chain", dataProductVersion: "\(writers).\(index)", stage: "dev", status: .planned,
                createdAt: Date(), principal: "bench", descriptor: ["info": ["version": .string("\(writers).\(index)")]]))
    }
    try await store.commit(changes)
    let deadline = ContinuousClock.now + duration
    let started = ContinuousClock.now
    let appended = try await withThrowingTaskGroup(of: Int.self) { group in
        for activity in ids.activities {
            group.addTask {
                var count = 0
                while ContinuousClock.now < deadline {
                    var append = ChangeSet()
                    append.decisions = [chainDecision(activity: activity)]
                    try await store.commit(append)
                    count += 1
                }
                return count
            }
        }
        return try await group.reduce(0, +)
    }
    return Double(appended) / seconds(ContinuousClock.now - started)
}

/// A decision of the size the service writes: one stage transition judged by three policies.
func chainDecision(activity: Int64) -> DecisionRecord {
    DecisionRecord(
        phase: .stageTransition, verdict: .pass, dataProductId: "urn:bench:chain", dataProductVersion: "1.0.0", stage: "dev",
        activityId: activity, taskId: nil, principal: "bench", policySetRevision: String(repeating: "b", count: 64),
        input: ["event": "ACTIVITY_STAGE_TRANSITION", "activity": ["id": .int(activity), "stage": "dev"], "principal": ["name": "bench"]],
        outcomes: ["stage-order", "owner-required", "descriptor-valid"].map { name in
            GatePolicyOutcome(
                policy: name, revision: String(repeating: "a", count: 64), file: "policies/\(name).lua", blocking: true,
                outcome: "allow", effect: "none", reasons: [], durationNanoseconds: 1_500, instructions: 300)
        }, gatedChange: "activity \(activity): PLANNED -> PROCESSING", createdAt: Date())
}
