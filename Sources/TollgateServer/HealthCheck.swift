import Logging
import Synchronization
import TollgateJSON
import TollgatePolicy
import TollgateLifecycle

/// `/health`: the server's readiness per component, in the shape Spring Boot services such as
/// ODM's answer (`{"status": "UP", "components": {"database": {...}, "policies": {...}}}`).
///
/// A component is DOWN only when it is broken (the database cannot be read, a policy file does
/// not load); the answer says what, and the log says it once each time the overall status changes.
/// An empty policy set is a valid setup: UP, saying that no phase is gated.
final class HealthCheck: Sendable {
    let store: any AuditStore
    let policies: PolicyEngine
    let logger: Logger
    private let lastStatus = Mutex<String?>(nil)

    init(store: any AuditStore, policies: PolicyEngine, logger: Logger) {
        self.store = store
        self.policies = policies
        self.logger = logger
    }

    /// The report and whether every component is UP.
    func report() async -> (body: JSONValue, up: Bool) {
        let components: [(String, JSONValue, Bool)] = [await database(), policySet()]
        let up = components.allSatisfy(\.2)
        var object = JSONObject()
        for (name, details, _) in components { object[name] = details }
        let status = up ? "UP" : "DOWN"
        let previous = lastStatus.withLock { last in
            defer { last = status }
            return last
        }
        if previous != status {
            let problems = components.filter { !$0.2 }.map { "\($0.0): \($0.1["message"]?.stringValue ?? "DOWN")" }
            if up {
                logger.info("health: UP")
            } else {
                logger.error("health: DOWN: \(problems.joined(separator: "; "))")
            }
        }
        return (["status": .string(status), "components": .object(object)], up)
    }

    /// Reads the head of the decision log on a connection of its own: a constant-time read that
    /// never waits for the writer, so readiness stays quick on a long log and during long commits.
    private func database() async -> (String, JSONValue, Bool) {
        do {
            let head = try await store.decisionHeadSequence()
            return ("database", ["status": "UP", "chainHeadSequence": .int(head)], true)
        } catch {
            return ("database", ["status": "DOWN", "message": .string("the database cannot be read: \(error)")], false)
        }
    }

    private func policySet() -> (String, JSONValue, Bool) {
        let set = policies.policySet
        let problems = set.problems
        if !problems.isEmpty {
            let message = "\(problems.count) policy file(s) do not load and block their phases until fixed: "
                + problems.map(\.description).joined(separator: "; ")
            return (
                "policies",
                ["status": "DOWN", "revision": .string(set.revision), "message": .string(message),
                 "problems": .array(problems.map { .string($0.description) })],
                false
            )
        }
        let gated = PolicyPhase.allCases.filter { phase in set.policies.contains { $0.phases.contains(phase) } }
        var details: JSONObject = [
            "status": "UP", "revision": .string(set.revision), "policies": .int(Int64(set.policies.count)),
            "gatedPhases": .array(gated.map { .string($0.rawValue) }),
        ]
        if set.policies.isEmpty {
            details["message"] = "no policies are loaded: no phase is gated"
        } else if gated.count < PolicyPhase.allCases.count {
            let open = PolicyPhase.allCases.filter { !gated.contains($0) }.map(\.rawValue)
            details["message"] = .string("no policy gates \(open.joined(separator: ", "))")
        }
        return ("policies", .object(details), true)
    }
}
