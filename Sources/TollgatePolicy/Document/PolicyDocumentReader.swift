import TollgateJSON

/// Reads nodes of a flat document (ours or one produced by the C bridge).
struct PolicyDocumentReader {
    /// How a Lua function in an encoded table reads back (only policy declarations contain them).
    static let functionMarker = "\u{1}function"

    let words: UnsafeBufferPointer<UInt32>
    let bytes: UnsafeBufferPointer<UInt8>

    func tag(_ node: UInt32) -> UInt32 { words[Int(node)] & 0xFF }

    func string(offset: UInt32, length: UInt32) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[Int(offset)..<Int(offset + length)]), as: UTF8.self)
    }

    func stringValue(_ node: UInt32) -> String? {
        let n = Int(node)
        guard tag(node) == PolicyDocumentNode.string else { return nil }
        return string(offset: words[n + 1], length: words[n + 2])
    }

    /// The child of an object node named `key`.
    func member(_ node: UInt32, _ key: String) -> UInt32? {
        guard tag(node) == PolicyDocumentNode.object else { return nil }
        let n = Int(node)
        let count = Int(words[n + 1])
        var key = key
        return key.withUTF8 { k -> UInt32? in
            for i in 0..<count {
                let base = n + 2 + 3 * i
                let offset = Int(words[base]), length = Int(words[base + 1])
                if length == k.count,
                    UnsafeBufferPointer(rebasing: bytes[offset..<offset + length]).elementsEqual(k)
                {
                    return words[base + 2]
                }
            }
            return nil
        }
    }

    /// The node at a path of member names.
    func node(at path: [String], from root: UInt32) -> UInt32? {
        var current = root
        for component in path {
            guard let next = member(current, component) else { return nil }
            current = next
        }
        return current
    }

    func value(at node: UInt32) -> JSONValue {
        let n = Int(node)
        switch tag(node) {
        case PolicyDocumentNode.false: return .bool(false)
        case PolicyDocumentNode.true: return .bool(true)
        case PolicyDocumentNode.int:
            return .int(Int64(bitPattern: UInt64(words[n + 1]) | UInt64(words[n + 2]) << 32))
        case PolicyDocumentNode.double:
            let d = Double(bitPattern: UInt64(words[n + 1]) | UInt64(words[n + 2]) << 32)
            return d.isFinite ? .double(d) : .null
        case PolicyDocumentNode.string:
            return .string(string(offset: words[n + 1], length: words[n + 2]))
        case PolicyDocumentNode.array:
            let count = Int(words[n + 1])
            var items: [JSONValue] = []
            items.reserveCapacity(count)
            for i in 0..<count { items.append(value(at: words[n + 2 + i])) }
            return .array(items)
        case PolicyDocumentNode.object:
            let count = Int(words[n + 1])
            var object = JSONObject()
            for i in 0..<count {
                let base = n + 2 + 3 * i
                object[string(offset: words[base], length: words[base + 1])] = value(at: words[base + 2])
            }
            return .object(object)
        case PolicyDocumentNode.function:
            return .string(Self.functionMarker)
        default:
            return .null
        }
    }
}
