import Foundation
import PostgresNIO
import TollgateJSON
import TollgateLifecycle

/// A change set as the one call of `tollgate_commit` (see ``PostgresCommitFunction``): a document of
/// the rows it writes, by column name, and the hashed bytes of its decisions.
///
/// One statement is its own transaction, so a commit is one round trip, and the chain head is
/// locked only while the database appends and commits, never across a round trip to a replica.
/// Measured with the service benchmark side by side with one statement per row inside
/// `BEGIN`…`COMMIT`: see the README's scale-out figures.
struct PostgresCommit {
    let changes: ChangeSet
    /// The decisions' inputs as stored: whole, or split into shared parts.
    let inputs: [DecisionInputParts.Encoded]
    /// When the database must refuse to commit: the caller has stopped waiting by then.
    let deadline: Date

    /// The commit of `changes`, refused by the database once `limit` has passed; half a second is
    /// kept back for the commit's answer and for the clocks of two machines that differ.
    init(_ changes: ChangeSet, limit: Duration) {
        self.changes = changes
        inputs = changes.decisions.map { DecisionInputParts.encode($0.input) }
        let seconds = Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18
        deadline = Date().addingTimeInterval(max(seconds - 0.5, seconds / 2))
    }

    /// The bindings of `SELECT … FROM tollgate_commit($1, $2, $3)`.
    var bindings: PostgresBindings {
        var canonical: [DecisionChain.Canonical] = []
        var leading: [ByteBuffer] = []
        var middle: [ByteBuffer] = []
        for (index, record) in changes.decisions.enumerated() {
            let c = DecisionChain.Canonical(record, sequence: 0, previousHash: "", storedInput: inputs[index])
            let (before, between) = c.hashedAroundPosition
            canonical.append(c)
            leading.append(ByteBuffer(bytes: before))
            middle.append(ByteBuffer(bytes: between))
        }
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(document(canonical).serialized())
        bindings.append(leading)
        bindings.append(middle)
        return bindings
    }

    /// What was numbered: the new intents' ids and the decisions' places in the chain, from the
    /// rows `tollgate_commit` returned.
    func committed(_ rows: [(kind: String, id: Int64, previousHash: String?, hash: String?)]) -> CommittedChanges {
        var committed = CommittedChanges()
        let ids = rows.filter { $0.kind == "intent" }.map(\.id)
        for (intent, id) in zip(changes.outbox, ids) {
            var intent = intent
            intent.id = id
            committed.outbox.append(intent)
        }
        let places = rows.filter { $0.kind == "decision" }
        for (record, place) in zip(changes.decisions, places) {
            var record = record
            record.sequence = place.id
            record.previousHash = place.previousHash ?? ""
            record.hash = place.hash ?? ""
            committed.decisions.append(record)
        }
        return committed
    }

    private func document(_ decisions: [DecisionChain.Canonical]) -> JSONValue {
        func fence(_ id: Int64) -> JSONValue { changes.fences[id].map(JSONValue.int) ?? .null }
        var document: JSONObject = [
            "now": .string(Timestamp.formatMilliseconds(Date())), "deadline": .double(deadline.timeIntervalSince1970),
        ]
        let changed = Dictionary(changes.activities.filter { $0.version > 0 }.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        document["expected"] = .array(
            changes.expectedVersions.sorted { $0.key < $1.key }.map { id, version in
                guard let a = changed[id] else { return ["id": .int(id), "version": .int(version), "changed": false] }
                var row = Self.statusColumns(a)
                row["version"] = .int(version)
                row["changed"] = true
                return .object(row)
            })
        let unexpected = changes.activities.filter { changes.expectedVersions[$0.id] == nil || $0.version == 0 }
        document["new_activities"] = .array(unexpected.filter { $0.version == 0 }.map(Self.newActivity))
        document["activities"] = .array(unexpected.filter { $0.version > 0 }.map { .object(Self.statusColumns($0)) })
        document["tasks"] = .array(changes.tasks.map(Self.task))
        document["new_stage_records"] = .array(changes.stageRecords.filter { $0.id == 0 }.map(Self.newStageRecord))
        document["stage_records"] = .array(
            changes.stageRecords.filter { $0.id != 0 }.map {
                ["id": .int($0.id), "results": Self.json($0.results), "finished_at": Self.time($0.finishedAt)]
            })
        document["policy_sources"] = .array(
            changes.policySources.map {
                ["revision": .string($0.revision), "name": .string($0.name), "file": .string($0.file), "source": .string($0.source)]
            })
        document["outcomes"] = .array(
            changes.outboxDone.map { ["id": .int($0.id), "done": true, "error": Self.text($0.error), "fence": fence($0.id)] }
                + changes.outboxRetry.map {
                    ["id": .int($0.id), "done": false, "error": .string($0.error), "next_attempt_at": Self.time($0.after), "fence": fence($0.id)]
                })
        document["intents"] = .array(
            changes.outbox.map { intent in
                [
                    "kind": .string(intent.kind.rawValue), "task_id": intent.taskId.map(JSONValue.int) ?? .null,
                    "payload": .string(intent.payload.serialized()), "created_at": .string(Timestamp.formatMilliseconds(intent.createdAt)),
                    "attempts": .int(Int64(intent.attempts)), "lease_owner": Self.text(changes.leaseOwner),
                    "lease_seconds": .double(changes.leaseSeconds), "fence": .int(changes.leaseOwner == nil ? 0 : 1),
                ]
            })
        document["history"] = .array(
            changes.history.map {
                [
                    "task_id": .int($0.taskId), "at": .string(Timestamp.formatMilliseconds($0.at)), "kind": .string($0.kind),
                    "message": .string($0.message), "data": Self.json($0.data),
                ]
            })
        var seen = Set<String>()
        document["parts"] = .array(
            inputs.flatMap { $0.isSplit ? $0.parts : [] }.filter { seen.insert($0.hash).inserted }.map {
                ["hash": .string($0.hash), "body": .string($0.text)]
            })
        document["decisions"] = .array(decisions.map(Self.decision))
        document["transitions"] = .array(
            changes.transitions.map {
                [
                    "entity": .string($0.entity), "entity_id": .int($0.entityId), "from_status": Self.text($0.from), "to_status": .string($0.to),
                    "at": .string(Timestamp.formatMilliseconds($0.at)), "decision": $0.decision.map { .int(Int64($0)) } ?? .null,
                ]
            })
        // An absent key skips its statement in the function (an empty one would still be started).
        return .object(JSONObject(document.filter { $0.1.arrayValue?.isEmpty != true }))
    }

    private static func statusColumns(_ a: Activity) -> JSONObject {
        [
            "id": .int(a.id), "status": .string(a.status.rawValue), "results": json(a.results), "errors": text(a.errors),
            "started_at": time(a.startedAt), "finished_at": time(a.finishedAt),
        ]
    }

    private static func newActivity(_ a: Activity) -> JSONValue {
        var row = statusColumns(a)
        row["data_product_id"] = .string(a.dataProductId)
        row["data_product_version"] = .string(a.dataProductVersion)
        row["stage"] = .string(a.stage)
        row["created_at"] = .string(Timestamp.formatMilliseconds(a.createdAt))
        row["principal"] = text(a.principal)
        row["descriptor"] = json(a.descriptor)
        return .object(row)
    }

    private static func task(_ t: LifecycleTask) -> JSONValue {
        [
            "id": .int(t.id), "activity_id": .int(t.activityId), "position": .int(Int64(t.position)), "key": .string(t.key),
            "name": text(t.name), "executor": text(t.executor), "template": json(t.template), "configurations": json(t.configurations),
            "dispatched_configurations": json(t.dispatchedConfigurations), "status": .string(t.status.rawValue), "results": json(t.results),
            "errors": text(t.errors), "created_at": .string(Timestamp.formatMilliseconds(t.createdAt)), "started_at": time(t.startedAt),
            "finished_at": time(t.finishedAt), "timeout_seconds": t.timeoutSeconds.map { .int(Int64($0)) } ?? .null,
            "executor_ref": text(t.executorReference),
        ]
    }

    private static func newStageRecord(_ r: StageRecord) -> JSONValue {
        [
            "data_product_id": .string(r.dataProductId), "data_product_version": .string(r.dataProductVersion), "stage": .string(r.stage),
            "activity_id": .int(r.activityId), "results": json(r.results), "started_at": .string(Timestamp.formatMilliseconds(r.startedAt)),
            "finished_at": time(r.finishedAt),
        ]
    }

    private static func decision(_ c: DecisionChain.Canonical) -> JSONValue {
        [
            "phase": .string(c.phase), "verdict": .string(c.verdict), "data_product_id": .string(c.dataProductId),
            "data_product_version": .string(c.dataProductVersion), "stage": .string(c.stage), "activity_id": .int(c.activityId),
            "task_id": c.taskId.map(JSONValue.int) ?? .null, "principal": text(c.principal), "policy_set_revision": .string(c.policySetRevision),
            "gated_change": .string(c.gatedChange), "created_at": .string(c.createdAt), "input": .string(c.input),
            "outcomes": .string(c.outcomes), "input_split": .bool(c.inputIsSplit),
        ]
    }

    private static func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    private static func json(_ value: JSONValue?) -> JSONValue { value.map { .string($0.serialized()) } ?? .null }
    private static func time(_ value: Date?) -> JSONValue { value.map { .string(Timestamp.formatMilliseconds($0)) } ?? .null }
}
