/// A JSON value whose objects remember the order of their keys.
///
/// `JSONValue` is the in-memory form of a JSON document used throughout Tollgate.
/// Numbers are split into two cases: a number written without a fraction or exponent
/// that fits in `Int64` is an ``int(_:)``; every other number is a ``double(_:)``
/// (the one exception is `-0`, which parses as `.double(-0.0)` so its sign survives).
///
/// Equality (`==`) is structural and strict: object keys must appear in the same order,
/// and `.int(1)` is not equal to `.double(1.0)`. Use ``isEquivalent(to:)`` to compare
/// documents by meaning instead.
public enum JSONValue: Sendable, Hashable {
    /// The JSON `null` literal.
    case null
    /// A JSON `true` or `false`.
    case bool(Bool)
    /// A JSON number written without fraction or exponent that fits in `Int64`.
    case int(Int64)
    /// Any other JSON number. Values produced by the parser are always finite.
    case double(Double)
    /// A JSON string.
    case string(String)
    /// A JSON array.
    case array([JSONValue])
    /// A JSON object, with its keys in document (or insertion) order.
    case object(JSONObject)
}

extension JSONValue: CustomStringConvertible {
    /// The compact JSON serialization of this value, as produced by ``serialized(pretty:sortedKeys:)``.
    public var description: String {
        serialized()
    }
}
