extension JSONValue {
    /// Serializes this value as JSON text.
    ///
    /// The compact form has no whitespace (`{"a":1,"b":[true,null]}`); the pretty form
    /// puts each element and member on its own line, indented by two spaces, with
    /// `": "` after keys. Object keys keep their order unless `sortedKeys` is true, in
    /// which case they are sorted by their UTF-8 bytes (Unicode code point order), at
    /// every level. Doubles use the shortest form that reads back to the same value,
    /// always with a fraction or exponent (`1.0`, `0.1`, `1e+20`); non-finite doubles,
    /// which parsing never produces, are written as `null`. Strings escape `"`, `\`
    /// and control characters only; `/` and non-ASCII characters are written as is.
    public func serialized(pretty: Bool = false, sortedKeys: Bool = false) -> String {
        String(decoding: serializedBytes(pretty: pretty, sortedKeys: sortedKeys), as: UTF8.self)
    }

    /// Serializes this value as UTF-8 JSON bytes; see ``serialized(pretty:sortedKeys:)``.
    public func serializedBytes(pretty: Bool = false, sortedKeys: Bool = false) -> [UInt8] {
        var serializer = JSONSerializer(pretty: pretty, sortedKeys: sortedKeys)
        serializer.write(self)
        return serializer.output
    }
}
