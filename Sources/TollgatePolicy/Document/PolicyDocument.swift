public import TollgateJSON

/// An immutable policy input in the flat form the Lua bridge reads without copying.
///
/// Policies see a document through read-only views: a field is decoded only when a policy
/// reads it, so evaluating a policy that looks at five fields of a large input costs five
/// lookups, not a conversion of the whole input. Build a document once per decision and
/// hand the same document to every policy of the phase.
///
/// ```swift
/// let input = PolicyDocument(["event": "ACTIVITY_STAGE_TRANSITION", "activity": ["stage": "test"]])
/// let decision = engine.evaluate(.stageTransition, input: input)
/// ```
public struct PolicyDocument: Sendable {
    /// Node words (see `tollgate_lua.h` for the layout).
    let words: [UInt32]
    /// String bytes referenced by the nodes.
    let bytes: [UInt8]
    /// Word index of the root node.
    let root: UInt32

    init(words: [UInt32], bytes: [UInt8], root: UInt32) {
        self.words = words
        self.bytes = bytes
        self.root = root
    }

    /// Encodes a JSON value.
    public init(_ value: JSONValue) {
        var builder = PolicyDocumentBuilder()
        let root = builder.append(value)
        self = builder.finish(root: root)
    }

    /// Parses JSON text into a document, keeping the order of object keys.
    public init(json bytes: [UInt8]) throws(JSONParseError) {
        self.init(try JSONValue.parse(bytes))
    }

    /// The document as a JSON value.
    public var jsonValue: JSONValue {
        words.withUnsafeBufferPointer { w in
            bytes.withUnsafeBufferPointer { b in
                PolicyDocumentReader(words: w, bytes: b).value(at: root)
            }
        }
    }

    /// Size of the encoded document in bytes.
    public var encodedSize: Int { words.count * 4 + bytes.count }
}
