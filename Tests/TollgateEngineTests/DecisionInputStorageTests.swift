import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateSQLite
import TollgateStore
import TollgateTestSupport

/// What a decision's input costs in the log: what repeats between decisions (the descriptor, the
/// tasks that did not change, the context so far) is stored once, so the bytes a decision adds do
/// not grow with the activity's task count, and the log still reads back, exports and verifies whole.
@Suite("Decision input storage")
struct DecisionInputStorageTests {
    /// A descriptor whose dev stage has `count` tasks, each with a template and parameters of a
    /// realistic size, and whose test stage has one.
    static func descriptor(tasks count: Int) -> JSONValue {
        let tasks: [JSONValue] = (1...count).map { index in
            [
                "service": ["$href": "azure-devops"],
                "template": [
                    "specification": "spec", "specificationVersion": "2.0",
                    "definition": [
                        "organization": "mycustomorg", "project": "mycustomproject", "pipelineId": .string(String(index)),
                        "branch": "master", "description": .string("provisions part \(index) of the platform for the dev stage"),
                    ],
                ],
                "configurations": ["stageToSkip": [], "params": ["region": "eu-west-1", "size": "small", "index": .int(Int64(index))]],
            ]
        }
        return [
            "dataProductDescriptor": "1.0.0",
            "info": [
                "fullyQualifiedName": .string(EngineFixture.productId), "name": "hello", "version": "1.0.0",
                "owner": ["id": "owner@example.com"],
            ],
            "internalComponents": ["lifecycleInfo": ["dev": .array(tasks), "test": [tasks[0]]]],
        ]
    }

    /// Runs the dev stage of a `count`-task descriptor to its end on a fresh SQLite file.
    static func run(tasks count: Int, in directory: TemporaryDirectory) async throws -> (SQLiteLifecycleStore, EngineFixture) {
        let store = try SQLiteLifecycleStore(path: directory.url("tasks-\(count).db"))
        let f = try EngineFixture(descriptorDocument: descriptor(tasks: count), store: store)
        _ = try await f.run("dev")
        for index in 0..<count {
            try await f.report(f.executor.requests[index].taskId, results: ["vm": ["name": .string("vm-\(index)"), "ip": "10.0.0.1"]])
        }
        return (store, f)
    }

    /// Bytes the log holds for its decisions' inputs (the decisions' own text and every part).
    static func inputBytes(_ path: String) throws -> (total: Int64, decisions: Int64) {
        let db = try SQLiteConnection(path: path)
        let own = try db.statement("SELECT COALESCE(SUM(length(input)), 0), COUNT(*) FROM decisions").first { ($0.int64(0), $0.int64(1)) } ?? (0, 0)
        let hasParts = try db.statement("SELECT COUNT(*) FROM sqlite_master WHERE name = 'decision_parts'").first { $0.int64(0) } ?? 0
        let parts = hasParts == 0 ? 0 : try db.statement("SELECT COALESCE(SUM(length(body)), 0) FROM decision_parts").first { $0.int64(0) } ?? 0
        return (own.0 + parts, own.1)
    }

    @Test func bytesPerDecisionDoNotGrowWithTheTaskCount() async throws {
        let directory = try TemporaryDirectory()
        var perDecision: [Int: Double] = [:]
        for count in [16, 128] {
            let (store, _) = try await Self.run(tasks: count, in: directory)
            #expect(try await store.activity(id: 1)?.status == .processed)
            let (total, decisions) = try Self.inputBytes(store.path)
            #expect(decisions == Int64(count + 2), "a stage transition, one decision per task result, an activity result")
            perDecision[count] = Double(total) / Double(decisions)
        }
        let small = try #require(perDecision[16]), large = try #require(perDecision[128])
        // Stored whole, each decision carries every task and the whole descriptor: eight times the
        // tasks, about eight times the bytes. Split into parts, a decision adds the part holding
        // what changed and one node per level above it: the bytes grow with the tree's depth.
        #expect(large < small * 1.5, "\(Int(small)) bytes per decision with 16 tasks, \(Int(large)) with 128")
    }

    @Test func splitInputsReadBackExportAndVerifyWhole() async throws {
        let directory = try TemporaryDirectory()
        let (store, _) = try await Self.run(tasks: 40, in: directory)
        let decisions = try await store.decisions(activityId: 1)
        #expect(decisions.count == 42)
        let last = try #require(decisions.last)
        #expect(last.input["tasks"]?.arrayValue?.count == 40)
        #expect(last.input["tasks"]?[39]?["results"]?["vm"]?["name"] == "vm-39")
        #expect(last.input["dataProduct"]?["descriptor"] == Self.descriptor(tasks: 40))

        let db = try SQLiteConnection(path: store.path)
        let split = try db.statement("SELECT COUNT(*) FROM decisions WHERE input_split = 1").first { $0.int64(0) } ?? 0
        #expect(split == 42, "every input of this size is stored as parts")

        let report = try store.verifyLog()
        #expect(report.isIntact, "\(String(describing: report.chain)) \(report.completeness)")
        let exported = try await store.storedDecisions(matching: Self.activity(1))
        #expect(try JSONValue.parse(exported[41].input) == last.input, "an export shows the input whole")
    }

    @Test func anAlteredOrMissingPartIsFoundAtTheFirstDecisionUsingIt() async throws {
        for missing in [false, true] {
            let directory = try TemporaryDirectory()
            let (store, _) = try await Self.run(tasks: 20, in: directory)
            #expect(try store.verifyLog().isIntact)
            let db = try SQLiteConnection(path: store.path)
            try db.execute("DROP TRIGGER decision_parts_are_append_only_update")
            // The part holding the last task's entry as the activity result saw it: first used by the last decision.
            let part = try #require(
                try db.statement("SELECT hash FROM decision_parts WHERE body LIKE '%vm-19%' ORDER BY id LIMIT 1").first { $0.string(0) })
            if missing {
                try db.statement("DELETE FROM decision_parts WHERE hash = ?").run([part])
            } else {
                try db.statement("UPDATE decision_parts SET body = replace(body, 'vm-19', 'vm-66') WHERE hash = ?").run([part])
            }
            let firstUser = try #require(try Self.firstDecision(reaching: part, db))
            let problem = try #require(try store.verifyDecisionChain())
            #expect(problem.sequence == firstUser, "\(problem)")
            #expect(problem.message.contains(part))
            #expect(problem.message.hasSuffix(missing ? "is missing" : "was altered: its content no longer matches its hash"), "\(problem)")
            #expect(try store.verifyLog().isIntact == false)
        }
    }

    /// The first decision whose stored input text (root or the parts it reaches) contains `hash`,
    /// found by brute force over the raw tables.
    static func firstDecision(reaching hash: String, _ db: SQLiteConnection) throws -> Int64? {
        var holders: Set<String> = [hash]
        var grew = true
        while grew {
            grew = false
            try db.statement("SELECT hash, body FROM decision_parts").forEachRow { row in
                let body = row.string(1)
                if !holders.contains(row.string(0)), holders.contains(where: { body.contains($0) }) {
                    holders.insert(row.string(0))
                    grew = true
                }
            }
        }
        return try db.statement("SELECT seq, input FROM decisions ORDER BY seq").rows { ($0.int64(0), $0.string(1)) }
            .first { decision in holders.contains { decision.1.contains($0) } }?.0
    }

    /// The parts the remaining decisions reach, found by brute force over the raw tables.
    static func reachableParts(_ db: SQLiteConnection) throws -> Set<String> {
        let parts = try db.statement("SELECT hash, body FROM decision_parts").rows { ($0.string(0), $0.string(1)) }
        var texts = try db.statement("SELECT input FROM decisions").rows { $0.string(0) }
        var reached: Set<String> = []
        while let text = texts.popLast() {
            for (hash, body) in parts where !reached.contains(hash) && text.contains(hash) {
                reached.insert(hash)
                texts.append(body)
            }
        }
        return reached
    }

    static func activity(_ id: Int64) -> DecisionFilter {
        var filter = DecisionFilter()
        filter.activityId = id
        return filter
    }

    @Test func pruningRemovesThePartsOnlyPrunedDecisionsUsed() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteLifecycleStore(path: directory.url("prune.db"))
        let f = try EngineFixture(descriptorDocument: Self.descriptor(tasks: 12), store: store)
        _ = try await f.run("dev")
        for index in 0..<12 { try await f.report(f.executor.requests[index].taskId, results: ["first": .int(Int64(index))]) }
        let db = try SQLiteConnection(path: store.path)
        let partsAfterFirst = try db.statement("SELECT COUNT(*) FROM decision_parts").first { $0.int64(0) } ?? 0
        f.clock.advance(seconds: 3_600)
        _ = try await f.engine.createActivity(dataProductId: EngineFixture.productId, version: "1.0.0", stage: "test", principal: EngineFixture.ci, start: true)
        let remaining = try await store.decisions(matching: Self.activity(2))
        #expect(!remaining.isEmpty)

        let checkpoint = try #require(try store.prune(before: f.clock.now.addingTimeInterval(-60), principal: "auditor"))
        #expect(checkpoint.pruned == 14)
        let partsAfterPrune = try db.statement("SELECT COUNT(*) FROM decision_parts").first { $0.int64(0) } ?? 0
        #expect(partsAfterPrune < partsAfterFirst, "the first activity's own parts are gone")
        let stored = Set(try db.statement("SELECT hash FROM decision_parts").rows { $0.string(0) })
        #expect(stored == (try Self.reachableParts(db)), "every part left is used by a remaining decision")
        #expect(try await store.decisions(matching: Self.activity(2)) == remaining, "what remains reads back whole")
        #expect(try store.verifyLog().isIntact)
    }
}

/// The part encoding on its own: any JSON value reads back exactly as it was.
@Suite("Decision input parts")
struct DecisionInputPartsTests {
    static func randomValue(_ random: inout SplitMix64, depth: Int = 0) -> JSONValue {
        switch random.next() % (depth > 2 ? 4 : 6) {
        case 0: return .int(Int64(bitPattern: random.next() % 1_000_000))
        case 1: return .string(String(repeating: "ab\u{e9}\"\\\n", count: Int(random.next() % 200)))
        case 2: return random.next() % 2 == 0 ? .bool(true) : .null
        case 3: return .double(Double(random.next() % 1000) / 8)
        case 4: return .array((0..<Int(random.next() % 40)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            var object = JSONObject()
            for index in 0..<Int(random.next() % 40) { object["k\(index)-\(random.next() % 7)"] = randomValue(&random, depth: depth + 1) }
            return .object(object)
        }
    }

    @Test func everyValueReadsBackExactly() throws {
        var random = SplitMix64(state: 7)
        var splitCount = 0
        for _ in 0..<100 {
            let value = Self.randomValue(&random)
            let encoded = DecisionInputParts.encode(value)
            let parts = Dictionary(uniqueKeysWithValues: encoded.parts.map { ($0.hash, $0.text) })
            #expect(parts.allSatisfy { DecisionInputParts.hash($0.value) == $0.key })
            guard encoded.isSplit else {
                #expect(try JSONValue.parse(encoded.root) == value)
                continue
            }
            splitCount += 1
            let decoded = try DecisionInputParts.decode(try JSONValue.parse(encoded.root, maxDepth: 2_000)) { hash in
                try JSONValue.parse(try #require(parts[hash]), maxDepth: 2_000)
            }
            #expect(decoded == value)
            #expect(decoded.serialized() == value.serialized(), "member order kept")
            #expect(DecisionInputParts.encode(value).root == encoded.root, "the same value, the same root")
        }
        #expect(splitCount > 25, "the cases exercise split values")
    }

    @Test func changingOneElementOfALongListStoresOnlyItsPathAnew() {
        let list: [JSONValue] = (0..<1_000).map { ["id": .int(Int64($0)), "status": "PLANNED", "note": .string(String(repeating: "x", count: 60))] }
        var changed = list
        changed[500] = ["id": 500, "status": "PROCESSED", "note": .string(String(repeating: "x", count: 60))]
        let before = Set(DecisionInputParts.encode(["tasks": .array(list)]).parts.map(\.hash))
        let after = DecisionInputParts.encode(["tasks": .array(changed)]).parts
        let new = after.filter { !before.contains($0.hash) }
        // One leaf of 16 elements, one node per level above it (1,000 elements: 63 leaves, 4 joins).
        #expect(new.count <= 3, "\(new.count) new parts")
        #expect(new.reduce(0) { $0 + $1.text.utf8.count } < 4_000)
    }
}
