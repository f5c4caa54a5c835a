import TollgateJSON

/// Parsed decision-input parts by hash, up to a budget of part text. Parts never change (a hash
/// names one text), so what is cached is never stale; when the budget is spent the cache starts over.
struct DecisionPartCache {
    static let budgetBytes = 8 << 20
    private var nodes: [String: JSONValue] = [:]
    private var bytes = 0

    func node(_ hash: String) -> JSONValue? { nodes[hash] }

    mutating func keep(_ node: JSONValue, hash: String, textBytes: Int) {
        if bytes + textBytes > Self.budgetBytes {
            nodes.removeAll(keepingCapacity: true)
            bytes = 0
        }
        nodes[hash] = node
        bytes += textBytes
    }
}
