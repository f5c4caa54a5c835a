import CTollgateLua
import TollgateJSON

extension PolicyDocument {
    /// The string at a path of member names, if there is one.
    func string(at path: [String]) -> String? {
        withReader { reader in
            reader.node(at: path, from: root).flatMap(reader.stringValue)
        }
    }

    func withReader<R>(_ body: (PolicyDocumentReader) -> R) -> R {
        words.withUnsafeBufferPointer { w in
            bytes.withUnsafeBufferPointer { b in body(PolicyDocumentReader(words: w, bytes: b)) }
        }
    }

    /// Calls `body` with the C view of this document, valid only inside the call.
    func withCDocument<R>(_ body: (UnsafePointer<tg_doc>) -> R) -> R {
        words.withUnsafeBufferPointer { w in
            bytes.withUnsafeBufferPointer { b in
                let raw = UnsafeRawPointer(b.baseAddress)
                var doc = tg_doc(
                    words: w.baseAddress, word_count: w.count,
                    bytes: raw?.assumingMemoryBound(to: CChar.self), byte_count: b.count,
                    root: root)
                return withUnsafePointer(to: &doc) { body($0) }
            }
        }
    }
}

extension tg_owned_doc {
    /// Decodes a document produced by the C bridge; nil when it is empty.
    var jsonValue: JSONValue? {
        guard word_count > 0, let words else { return nil }
        let w = UnsafeBufferPointer(start: words, count: word_count)
        let b = UnsafeBufferPointer(start: UnsafeRawPointer(bytes)?.assumingMemoryBound(to: UInt8.self), count: byte_count)
        return PolicyDocumentReader(words: w, bytes: b).value(at: root)
    }
}
