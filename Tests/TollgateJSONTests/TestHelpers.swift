import Testing
import TollgateJSON

/// Parses `text` and returns the error it throws, recording an issue if it parses.
func parseError(_ text: String, maxDepth: Int = JSONValue.defaultMaxDepth) -> JSONParseError? {
    #expect(throws: JSONParseError.self) { try JSONValue.parse(text, maxDepth: maxDepth) }
}

/// Parses `bytes` and returns the error it throws, recording an issue if it parses.
func parseError(bytes: [UInt8]) -> JSONParseError? {
    #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
}

/// Parses text that is expected to be valid.
func parsed(_ text: String) throws -> JSONValue {
    try JSONValue.parse(text)
}
