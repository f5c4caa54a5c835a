/// An error thrown when input is not a valid JSON text, with the position of the problem.
///
/// Positions count UTF-8 bytes: ``offset`` is the 0-based byte offset into the input,
/// ``line`` is 1-based (lines end at `\n`), and ``column`` is the 1-based byte
/// position within that line, so a multi-byte character counts as several columns.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The 1-based line of the problem; lines are separated by `\n`.
    public let line: Int
    /// The 1-based column of the problem, counted in UTF-8 bytes from the start of the line.
    public let column: Int
    /// The 0-based byte offset of the problem in the input.
    public let offset: Int
    /// What is wrong, written for a person, e.g. `expected ',' or '}' after object member`.
    public let reason: String

    /// Creates an error at an explicit position.
    public init(line: Int, column: Int, offset: Int, reason: String) {
        self.line = line
        self.column = column
        self.offset = offset
        self.reason = reason
    }

    /// The position and reason, e.g. `line 3, column 14: expected ',' or '}' after object member`.
    public var description: String {
        "line \(line), column \(column): \(reason)"
    }
}

extension JSONParseError {
    /// Creates an error at byte `offset` of `input`, computing its line and column.
    internal init(offset: Int, in input: UnsafeBufferPointer<UInt8>, reason: String) {
        var line = 1
        var lineStart = 0
        let limit = min(offset, input.count)
        var i = 0
        while i < limit {
            if input[i] == UInt8(ascii: "\n") {
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
        self.init(line: line, column: offset - lineStart + 1, offset: offset, reason: reason)
    }
}
