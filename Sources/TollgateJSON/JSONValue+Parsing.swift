extension JSONValue {
    /// The nesting limit used when no `maxDepth` is given.
    public static let defaultMaxDepth = 512

    /// Parses one JSON value from UTF-8 bytes, strictly following RFC 8259.
    ///
    /// The input must hold exactly one value, optionally surrounded by whitespace.
    /// Rejected: invalid UTF-8, unescaped control characters and lone surrogates in
    /// strings, leading zeros, trailing commas, comments, `NaN`/`Infinity`, a byte
    /// order mark, numbers too large for a finite `Double`, and more than `maxDepth`
    /// nested arrays and objects. When an object repeats a key, the last value wins and
    /// the key keeps the position of its first occurrence.
    ///
    /// Contiguous collections (`[UInt8]`, `ArraySlice<UInt8>`, `Data`, a string's UTF-8
    /// view) are read in place; others are copied into an array first.
    ///
    /// - Parameters:
    ///   - bytes: The UTF-8 encoded JSON text.
    ///   - maxDepth: The maximum number of nested arrays and objects (0 allows only scalars).
    /// - Throws: ``JSONParseError`` describing the first problem and where it is.
    public static func parse(
        _ bytes: some Collection<UInt8>,
        maxDepth: Int = defaultMaxDepth
    ) throws(JSONParseError) -> JSONValue {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            parse(buffer: buffer, maxDepth: maxDepth)
        }
        if let result {
            return try result.get()
        }
        return try Array(bytes).withUnsafeBufferPointer { buffer in
            parse(buffer: buffer, maxDepth: maxDepth)
        }.get()
    }

    /// Parses one JSON value from a string; see ``parse(_:maxDepth:)``.
    ///
    /// Error positions count UTF-8 bytes of `text`.
    public static func parse(
        _ text: String,
        maxDepth: Int = defaultMaxDepth
    ) throws(JSONParseError) -> JSONValue {
        try parse(text.utf8, maxDepth: maxDepth)
    }

    private static func parse(
        buffer: UnsafeBufferPointer<UInt8>,
        maxDepth: Int
    ) -> Result<JSONValue, JSONParseError> {
        var parser = JSONParser(input: buffer, maxDepth: maxDepth)
        do throws(JSONParseError) {
            return .success(try parser.parseDocument())
        } catch {
            return .failure(error)
        }
    }
}
