extension JSONValue {
    /// The member named `key` if this is an object that has it, otherwise `nil`.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    /// The element at `index` if this is an array and `index` is in range, otherwise `nil`.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let array) = self, array.indices.contains(index) else { return nil }
        return array[index]
    }

    /// The value reached by following `path` one component at a time, or `nil`.
    ///
    /// Each component names an object member; when the current value is an array,
    /// a component made only of ASCII digits (such as `"0"` or `"12"`) selects the
    /// element at that index. An empty path returns the value itself.
    public subscript(path: [String]) -> JSONValue? {
        var current = self
        for component in path {
            switch current {
            case .object(let object):
                guard let next = object[component] else { return nil }
                current = next
            case .array(let array):
                guard let index = Self.decimalIndex(component), index < array.count else { return nil }
                current = array[index]
            default:
                return nil
            }
        }
        return current
    }

    private static func decimalIndex(_ component: String) -> Int? {
        let utf8 = component.utf8
        guard !utf8.isEmpty, utf8.count <= 18 else { return nil }
        var result = 0
        for byte in utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            result = result * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return result
    }

    /// The string if this is a ``string(_:)``, otherwise `nil`.
    public var stringValue: String? {
        guard case .string(let value) = self else { return nil }
        return value
    }

    /// The integer if this is an ``int(_:)``, or a ``double(_:)`` holding an integral
    /// value that fits in `Int64`; otherwise `nil`.
    public var intValue: Int64? {
        switch self {
        case .int(let value): value
        case .double(let value): Int64(exactly: value)
        default: nil
        }
    }

    /// The number as a `Double` if this is a ``double(_:)`` or an ``int(_:)``
    /// (converted, rounding if beyond 2^53); otherwise `nil`.
    public var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// The Boolean if this is a ``bool(_:)``, otherwise `nil`.
    public var boolValue: Bool? {
        guard case .bool(let value) = self else { return nil }
        return value
    }

    /// The elements if this is an ``array(_:)``, otherwise `nil`.
    public var arrayValue: [JSONValue]? {
        guard case .array(let value) = self else { return nil }
        return value
    }

    /// The object if this is an ``object(_:)``, otherwise `nil`.
    public var objectValue: JSONObject? {
        guard case .object(let value) = self else { return nil }
        return value
    }

    /// Whether this is ``null``.
    public var isNull: Bool {
        self == .null
    }

    /// A short name for the kind of value, for messages: `"null"`, `"boolean"`,
    /// `"integer"`, `"number"`, `"string"`, `"array"` or `"object"`.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
