import Synchronization
import TollgateJSON
import TollgateLifecycle
import TollgateSQLite

extension SQLiteLifecycleStore {
    /// Stores the parts of a split input that are not stored yet.
    func writeParts(_ encoded: DecisionInputParts.Encoded, _ db: SQLiteConnection) throws {
        guard encoded.isSplit else { return }
        let insert = try db.statement("INSERT OR IGNORE INTO decision_parts (hash, body) VALUES (?, ?)")
        for part in encoded.parts { try insert.run([part.hash, part.text]) }
    }

    /// The decision in `row` (selected with `StoreCoding.decisionColumns`), its input read back
    /// from its parts when it was split.
    func decision(_ row: SQLiteRow, _ db: SQLiteConnection) throws -> DecisionRecord {
        var record = StoreCoding.decision(row)
        if row.int64(16) != 0 { record.input = try input(root: row.string(12), db) }
        return record
    }

    /// The stored text of the decision in `row` with its input whole: what exports show.
    func inputText(_ canonical: DecisionChain.Canonical, _ db: SQLiteConnection) throws -> String {
        canonical.inputIsSplit ? try input(root: canonical.input, db).serialized() : canonical.input
    }

    /// How deep a stored node may nest: a node wraps each level of the value it stands for in two.
    static let nodeDepth = 3 * JSONValue.defaultMaxDepth

    /// The input a root node stands for.
    func input(root: String, _ db: SQLiteConnection) throws -> JSONValue {
        let lookup = try db.statement("SELECT body FROM decision_parts WHERE hash = ?")
        return try DecisionInputParts.decode(try JSONValue.parse(root, maxDepth: Self.nodeDepth)) { hash in
            if let cached = partCache.withLock({ $0.node(hash) }) { return cached }
            guard let text = try lookup.first([hash], { $0.string(0) }) else {
                throw DecisionInputParts.MalformedNode(description: "the decision input part \(hash) is missing")
            }
            let node = try JSONValue.parse(text, maxDepth: Self.nodeDepth)
            partCache.withLock { $0.keep(node, hash: hash, textBytes: text.utf8.count) }
            return node
        }
    }
}
