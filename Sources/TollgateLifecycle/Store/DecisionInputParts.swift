import Crypto
public import TollgateJSON

/// A decision's policy input stored as content-addressed parts, so what repeats from one decision
/// to the next (the descriptor, the tasks that did not change, the context so far) is stored once
/// and each decision adds only what is new.
///
/// The input becomes a tree of nodes, each a JSON object with one member:
/// - `{"v": value}`: the value itself;
/// - `{"r": "<hex SHA-256>"}`: the node stored as the part whose text has that hash;
/// - `{"o": [key, node, key, node, …]}`, `{"a": [node, …]}`: an object, an array, member by member;
/// - `{"O": [node, …]}`, `{"A": [node, …]}`: the objects (arrays) of the nodes, one after another.
///
/// A value whose JSON text is shorter than ``inlineBytes`` stays whole. A larger object or array
/// is cut by position into parts of at most ``fanout`` members, so a list that grows at its end or
/// changes one member stores anew only the part holding that member and the few nodes above it:
/// the bytes a decision adds grow with the logarithm of the input's size, not with the size. A
/// node names its parts by the hash of their text, so the hash of the root covers every part.
public enum DecisionInputParts {
    /// Values with JSON text shorter than this stay inside their parent's node.
    public static let inlineBytes = 1024
    /// Most members (or nodes) one part holds.
    public static let fanout = 16

    /// A node stored on its own, under the hash of its text.
    public struct Part: Sendable, Equatable {
        public var hash: String
        public var text: String
    }

    /// An input as stored.
    public struct Encoded: Sendable {
        /// The root node's text; when nothing was split off, the input's own JSON text.
        public var root: String
        /// Whether `root` is a node (with parts) rather than the input's JSON text.
        public var isSplit: Bool
        /// The parts the root reaches, each once, those it depends on first.
        public var parts: [Part]
    }

    /// `input` as a root and the parts it refers to.
    public static func encode(_ input: JSONValue) -> Encoded {
        var encoder = Encoder()
        let (node, _) = encoder.node(input)
        guard !encoder.parts.isEmpty else { return Encoded(root: input.serialized(), isSplit: false, parts: []) }
        return Encoded(root: node.serialized(), isSplit: true, parts: encoder.parts)
    }

    /// The input a root node stands for; `part` returns the parsed node stored under a hash.
    public static func decode(_ node: JSONValue, part: (String) throws -> JSONValue) throws -> JSONValue {
        guard case .object(let object) = node, object.count == 1, let kind = object.keys.first, let body = object.values.first else {
            throw MalformedNode(description: "a stored input node is not an object with one member")
        }
        switch (kind, body) {
        case ("v", _):
            return body
        case ("r", .string(let hash)):
            return try decode(try part(hash), part: part)
        case ("o", .array(let items)) where items.count % 2 == 0:
            var result = JSONObject()
            for index in stride(from: 0, to: items.count, by: 2) {
                guard case .string(let key) = items[index] else { throw MalformedNode(description: "an object node has a key that is not a string") }
                result[key] = try decode(items[index + 1], part: part)
            }
            return .object(result)
        case ("a", .array(let items)):
            return .array(try items.map { try decode($0, part: part) })
        case ("O", .array(let items)):
            var result = JSONObject()
            for item in items {
                guard case .object(let piece) = try decode(item, part: part) else { throw MalformedNode(description: "an object node joins a non-object") }
                for (key, value) in piece { result[key] = value }
            }
            return .object(result)
        case ("A", .array(let items)):
            var result: [JSONValue] = []
            for item in items {
                guard case .array(let piece) = try decode(item, part: part) else { throw MalformedNode(description: "an array node joins a non-array") }
                result += piece
            }
            return .array(result)
        default:
            throw MalformedNode(description: "a stored input node of kind '\(kind)' is not understood")
        }
    }

    /// The hashes of the parts `node` names directly (not those inside the parts).
    public static func references(in node: JSONValue) -> [String] {
        var found: [String] = []
        collectReferences(node, into: &found)
        return found
    }

    static func collectReferences(_ node: JSONValue, into found: inout [String]) {
        guard case .object(let object) = node, object.count == 1, let kind = object.keys.first, let body = object.values.first else { return }
        switch (kind, body) {
        case ("r", .string(let hash)):
            found.append(hash)
        case ("o", .array(let items)):
            for index in stride(from: 1, to: items.count, by: 2) { collectReferences(items[index], into: &found) }
        case ("a", .array(let items)), ("O", .array(let items)), ("A", .array(let items)):
            for item in items { collectReferences(item, into: &found) }
        default:
            return
        }
    }

    /// The hex SHA-256 a part's text is stored under.
    public static func hash(_ text: String) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: Array(text.utf8)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// A stored node that cannot be read back.
    public struct MalformedNode: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) { self.description = description }
    }

    struct Encoder {
        var parts: [Part] = []
        var stored: Set<String> = []

        /// The length of a scalar's JSON text, escapes left out (it only decides what stays inline).
        static func textLength(of value: JSONValue) -> Int {
            if case .string(let text) = value { return text.utf8.count + 2 }
            return value.serialized().utf8.count
        }

        /// The node for `value` and the length of the value's JSON text (escapes left out).
        mutating func node(_ value: JSONValue) -> (node: JSONValue, size: Int) {
            switch value {
            case .object(let object):
                var members: [JSONValue] = []
                members.reserveCapacity(object.count * 2)
                var size = 1 + max(object.count, 1)
                for (key, member) in object {
                    let (child, childSize) = node(member)
                    members += [.string(key), child]
                    size += key.utf8.count + 3 + childSize
                }
                guard size >= DecisionInputParts.inlineBytes else { return (["v": value], size) }
                return (split(members, stride: 2, leaf: "o", join: "O"), size)
            case .array(let items):
                var elements: [JSONValue] = []
                elements.reserveCapacity(items.count)
                var size = 1 + max(items.count, 1)
                for item in items {
                    let (child, childSize) = node(item)
                    elements.append(child)
                    size += childSize
                }
                guard size >= DecisionInputParts.inlineBytes else { return (["v": value], size) }
                return (split(elements, stride: 1, leaf: "a", join: "A"), size)
            default:
                let size = Self.textLength(of: value)
                guard size >= DecisionInputParts.inlineBytes else { return (["v": value], size) }
                return (store(["v": value]), size)
            }
        }

        /// Parts of at most `fanout` members (`stride` items each), joined by nodes of at most
        /// `fanout` parts, until one node is left.
        mutating func split(_ items: [JSONValue], stride width: Int, leaf: String, join: String) -> JSONValue {
            let chunk = DecisionInputParts.fanout * width
            var level = Swift.stride(from: 0, to: items.count, by: chunk).map { start in
                store([leaf: .array(Array(items[start..<min(items.count, start + chunk)]))])
            }
            if level.isEmpty { return store([leaf: .array([])]) }
            while level.count > DecisionInputParts.fanout {
                level = Swift.stride(from: 0, to: level.count, by: DecisionInputParts.fanout).map { start in
                    store([join: .array(Array(level[start..<min(level.count, start + DecisionInputParts.fanout)]))])
                }
            }
            return level.count == 1 ? level[0] : [join: .array(level)]
        }

        mutating func store(_ node: JSONValue) -> JSONValue {
            let text = node.serialized()
            let hash = DecisionInputParts.hash(text)
            if stored.insert(hash).inserted { parts.append(Part(hash: hash, text: text)) }
            return ["r": .string(hash)]
        }
    }
}
