import Testing
import TollgateLifecycle

/// The decision hash is part of every stored log: it must never drift.
@Suite("Decision hash")
struct DecisionHashTests {
    @Test func theHashIsSHA256OverLengthPrefixedFields() {
        let record = DecisionChain.Canonical(
            sequence: 7, phase: "TASK_EXECUTION_RESULT", verdict: "pass", dataProductId: "urn:x:ü", dataProductVersion: "1.0.0",
            stage: "dev", activityId: 3, taskId: nil, principal: "ci", policySetRevision: "rev",
            gatedChange: "task 7: PROCESSING -> PROCESSED", createdAt: "2026-11-22T06:00:00.000Z", input: #"{"a":"ü"}"#, outcomes: "[]",
            previousHash: "abc")
        // Computed independently (Python's hashlib) over "len:field" for every field in order.
        #expect(record.hash == "c0de2351d5cd1ad6fe4d95134c13837a88f483e1cc282d3b8c8d6e4931590e26")
    }
}
