extension JSONValue {
    /// Whether two values mean the same JSON document, ignoring object key order.
    ///
    /// Objects are equivalent when they have the same set of keys with equivalent
    /// values, whatever the order; arrays are compared element by element, in order.
    /// Numbers are compared by value, so `.int(1)` is equivalent to `.double(1.0)`
    /// (an integer and a double match only when the double is exactly that integer).
    /// This differs from `==`, which is order- and case-sensitive.
    public func isEquivalent(to other: JSONValue) -> Bool {
        switch (self, other) {
        case (.null, .null):
            return true
        case (.bool(let a), .bool(let b)):
            return a == b
        case (.int(let a), .int(let b)):
            return a == b
        case (.double(let a), .double(let b)):
            return a == b
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)):
            return Int64(exactly: b) == a
        case (.string(let a), .string(let b)):
            return a == b
        case (.array(let a), .array(let b)):
            guard a.count == b.count else { return false }
            for i in a.indices where !a[i].isEquivalent(to: b[i]) {
                return false
            }
            return true
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for (key, value) in a {
                guard let otherValue = b[key], value.isEquivalent(to: otherValue) else { return false }
            }
            return true
        default:
            return false
        }
    }
}
