#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// A coding key for arbitrary object member names.
private struct JSONMemberKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(_ name: String) {
        stringValue = name
    }

    init?(stringValue: String) {
        self.stringValue = stringValue
    }

    init?(intValue: Int) {
        return nil
    }
}

extension JSONValue: Codable {
    /// Decodes any JSON-shaped value from a decoder.
    ///
    /// Tries, in order: `nil`, `Bool`, `Int64`, `Double`, `String`, `[JSONValue]` and
    /// `[String: JSONValue]`. A generic `Decoder` does not expose the order of object
    /// keys, so decoded objects have their keys sorted by UTF-8 bytes; whether a number
    /// becomes `.int` or `.double` also depends on the decoder. To keep document order,
    /// parse the bytes with ``parse(_:maxDepth:)`` instead.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            let keys = value.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            self = .object(JSONObject(keys.map { ($0, value[$0]!) }))
        } else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "value is not null, a Boolean, a number, a string, an array or an object"
            )
        }
    }

    /// Encodes this value; objects are written through a keyed container in key order,
    /// and non-finite doubles are encoded as `nil` (matching ``serialized(pretty:sortedKeys:)``).
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .int(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .double(let value):
            var container = encoder.singleValueContainer()
            if value.isFinite {
                try container.encode(value)
            } else {
                try container.encodeNil()
            }
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .array(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements {
                try container.encode(element)
            }
        case .object(let object):
            var container = encoder.container(keyedBy: JSONMemberKey.self)
            for (key, value) in object {
                try container.encode(value, forKey: JSONMemberKey(key))
            }
        }
    }
}

extension JSONValue {
    /// Creates a value by encoding `value` with Foundation's `JSONEncoder` and parsing
    /// the resulting bytes.
    ///
    /// `JSONEncoder` does not keep the order in which keyed containers were written, so
    /// the encoder is asked for sorted keys: object keys come out sorted by their UTF-8
    /// bytes, the same on every run. Dates, data and non-finite numbers follow
    /// `JSONEncoder`'s default strategies (a non-finite `Double` makes it throw).
    ///
    /// - Throws: The encoder's `EncodingError`, or ``JSONParseError`` (not expected in practice).
    public init(encoding value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        self = try JSONValue.parse(data)
    }

    /// Decodes a `T` from this value by serializing it and running Foundation's `JSONDecoder`.
    ///
    /// - Throws: The decoder's `DecodingError` when this value does not fit `T`.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(serializedBytes()))
    }
}
