import TollgateJSON

/// Appends nodes to a flat document; children are written after their parent's header.
struct PolicyDocumentBuilder {
    private(set) var words: [UInt32] = []
    private(set) var bytes: [UInt8] = []

    init(estimatedNodes: Int = 64) {
        words.reserveCapacity(estimatedNodes * 3)
        bytes.reserveCapacity(estimatedNodes * 8)
    }

    mutating func finish(root: UInt32) -> PolicyDocument {
        PolicyDocument(words: words, bytes: bytes, root: root)
    }

    private mutating func addBytes(_ s: String) -> (offset: UInt32, length: UInt32) {
        let offset = UInt32(bytes.count)
        bytes.append(contentsOf: s.utf8)
        return (offset, UInt32(bytes.count) - offset)
    }

    mutating func append(_ value: JSONValue) -> UInt32 {
        let at = UInt32(words.count)
        switch value {
        case .null:
            words.append(PolicyDocumentNode.null)
        case .bool(let b):
            words.append(b ? PolicyDocumentNode.true : PolicyDocumentNode.false)
        case .int(let i):
            appendBits(PolicyDocumentNode.int, UInt64(bitPattern: i))
        case .double(let d):
            appendBits(PolicyDocumentNode.double, d.bitPattern)
        case .string(let s):
            let (offset, length) = addBytes(s)
            words.append(PolicyDocumentNode.string)
            words.append(offset)
            words.append(length)
        case .array(let items):
            words.append(PolicyDocumentNode.array)
            words.append(UInt32(items.count))
            let first = words.count
            words.append(contentsOf: repeatElement(0, count: items.count))
            for i in items.indices {
                let child = append(items[i])
                words[first + i] = child
            }
        case .object(let object):
            words.append(PolicyDocumentNode.object)
            words.append(UInt32(object.count))
            let first = words.count
            words.append(contentsOf: repeatElement(0, count: object.count * 3))
            let keys = object.keys, values = object.values
            for i in keys.indices {
                let (offset, length) = addBytes(keys[i])
                let child = append(values[i])
                words[first + 3 * i] = offset
                words[first + 3 * i + 1] = length
                words[first + 3 * i + 2] = child
            }
        }
        return at
    }

    private mutating func appendBits(_ tag: UInt32, _ bits: UInt64) {
        words.append(tag)
        words.append(UInt32(truncatingIfNeeded: bits))
        words.append(UInt32(truncatingIfNeeded: bits >> 32))
    }
}
