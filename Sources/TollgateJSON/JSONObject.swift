/// An ordered collection of JSON object members.
///
/// Keys keep their insertion (or document) order, which Tollgate relies on for
/// descriptors whose key order is meaningful. Keys and values are kept in two parallel
/// arrays; lookup is a linear scan for small objects and goes through a hash index once
/// the object has more than ``indexThreshold`` members.
///
/// Equality is order-sensitive: two objects are equal when they have the same keys
/// in the same order with equal values. Use ``JSONValue/isEquivalent(to:)`` to ignore
/// key order. Keys are compared with Swift `String` equality (Unicode canonical
/// equivalence), so `"é"` written precomposed or decomposed is the same key.
public struct JSONObject: Sendable {
    /// Objects with more members than this keep a hash index for lookups.
    ///
    /// Measured: below about 16 keys a linear scan of `String` comparisons beats hashing
    /// the probe key, and skipping the index saves building it for every parsed object.
    public static let indexThreshold = 16

    internal var _keys: [String]
    internal var _values: [JSONValue]
    /// Key → position; present only when `_keys.count > indexThreshold`.
    internal var _index: [String: Int]?

    /// Creates an empty object.
    public init() {
        self.init(keys: [], values: [], index: nil)
    }

    /// Creates an object from key–value pairs, in order.
    ///
    /// When a key occurs more than once, the later value replaces the earlier one
    /// but the key keeps the position of its first occurrence.
    public init(_ pairs: [(String, JSONValue)]) {
        self.init(uncheckedKeys: pairs.map(\.0), values: pairs.map(\.1))
    }

    /// Creates an object from parallel key and value arrays that may contain duplicate
    /// keys (last value wins, first position kept).
    internal init(uncheckedKeys keys: [String], values: [JSONValue]) {
        let count = keys.count
        if count <= Self.indexThreshold {
            var duplicate = false
            if count > 1 {
                search: for i in 1..<count {
                    for j in 0..<i where keys[i] == keys[j] {
                        duplicate = true
                        break search
                    }
                }
            }
            if !duplicate {
                self.init(keys: keys, values: values, index: nil)
                return
            }
        } else {
            var index = [String: Int](minimumCapacity: count)
            var duplicate = false
            for i in 0..<count where index.updateValue(i, forKey: keys[i]) != nil {
                duplicate = true
                break
            }
            if !duplicate {
                self.init(keys: keys, values: values, index: index)
                return
            }
        }
        var object = JSONObject()
        for i in 0..<count {
            object[keys[i]] = values[i]
        }
        self = object
    }

    private init(keys: [String], values: [JSONValue], index: [String: Int]?) {
        _keys = keys
        _values = values
        _index = index
    }

    /// The keys, in order.
    public var keys: [String] { _keys }

    /// The values, in key order.
    public var values: [JSONValue] { _values }

    /// The number of members.
    public var count: Int { _keys.count }

    /// Whether the object has no members.
    public var isEmpty: Bool { _keys.isEmpty }

    /// The position of `key` among the members, or `nil` if it is absent.
    public func position(of key: String) -> Int? {
        if let index = _index {
            return index[key]
        }
        for i in _keys.indices where _keys[i] == key {
            return i
        }
        return nil
    }

    /// The value for `key`; setting a value keeps an existing key's position, and
    /// setting `nil` removes the key.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let i = position(of: key) else { return nil }
            return _values[i]
        }
        set {
            if let newValue {
                if let i = position(of: key) {
                    _values[i] = newValue
                } else {
                    append(key: key, value: newValue)
                }
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Removes `key` and returns its value, or returns `nil` if it was absent.
    ///
    /// The remaining members keep their relative order.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let i = position(of: key) else { return nil }
        _keys.remove(at: i)
        let removed = _values.remove(at: i)
        if _keys.count > Self.indexThreshold {
            rebuildIndex()
        } else {
            _index = nil
        }
        return removed
    }

    private mutating func append(key: String, value: JSONValue) {
        _keys.append(key)
        _values.append(value)
        if _index != nil {
            _index![key] = _keys.count - 1
        } else if _keys.count > Self.indexThreshold {
            rebuildIndex()
        }
    }

    private mutating func rebuildIndex() {
        var index = [String: Int](minimumCapacity: _keys.count)
        for i in _keys.indices {
            index[_keys[i]] = i
        }
        _index = index
    }
}

extension JSONObject: Hashable {
    /// Whether both objects have the same keys in the same order with equal values.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs._keys == rhs._keys && lhs._values == rhs._values
    }

    /// Hashes the keys and values in order, consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(_keys)
        hasher.combine(_values)
    }
}

extension JSONObject: Sequence {
    /// An iterator over the members of a ``JSONObject`` in order.
    public struct Iterator: IteratorProtocol, Sendable {
        private let keys: [String]
        private let values: [JSONValue]
        private var position = 0

        internal init(keys: [String], values: [JSONValue]) {
            self.keys = keys
            self.values = values
        }

        /// Returns the next member, or `nil` when all members have been visited.
        public mutating func next() -> (key: String, value: JSONValue)? {
            guard position < keys.count else { return nil }
            defer { position += 1 }
            return (key: keys[position], value: values[position])
        }
    }

    /// Returns an iterator over the members in order.
    public func makeIterator() -> Iterator {
        Iterator(keys: _keys, values: _values)
    }

    /// The number of members.
    public var underestimatedCount: Int { _keys.count }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// Creates an object from a dictionary literal, keeping the literal's key order.
    ///
    /// A repeated key keeps its first position and takes the last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }
}

extension JSONObject: CustomStringConvertible {
    /// The compact JSON serialization of this object.
    public var description: String {
        JSONValue.object(self).serialized()
    }
}
