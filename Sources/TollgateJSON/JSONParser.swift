/// A strict RFC 8259 parser over a contiguous UTF-8 buffer.
///
/// The parser is iterative: open arrays and objects live on explicit stacks, so
/// deeply nested input can only hit the ``maxDepth`` limit, never the call stack.
/// Elements of open containers accumulate on one shared value stack (and object keys
/// on a shared key stack) and are moved into their container when it closes.
internal struct JSONParser: ~Copyable {
    /// An open array or object.
    private struct Frame {
        var isObject: Bool
        /// Index in the value stack where this container's elements begin.
        var valueStart: Int
        /// Index in the key stack where this object's keys begin.
        var keyStart: Int
    }

    internal let input: UnsafeBufferPointer<UInt8>
    internal let maxDepth: Int
    /// The offset of the next byte to read.
    internal var position = 0
    /// Reused buffer for decoding strings that contain escapes.
    internal var scratch: [UInt8] = []

    internal init(input: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.input = input
        self.maxDepth = max(0, maxDepth)
    }

    /// Parses the whole input as exactly one JSON value with optional surrounding whitespace.
    internal mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        if input.count >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF {
            throw error(at: 0, "byte order mark (U+FEFF) at start of input is not allowed in JSON")
        }
        let value = try parseValue()
        skipWhitespace()
        if position < input.count {
            throw error(
                at: position,
                "unexpected \(describeByte(at: position)) after the JSON value; a JSON text holds exactly one value"
            )
        }
        return value
    }

    // MARK: - Values

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        var frames: [Frame] = []
        var values = JSONParserStack<JSONValue>()
        var keys = JSONParserStack<String>()
        let end = input.count

        nextValue: while true {
            skipWhitespace()
            guard position < end else {
                throw error(at: position, "unexpected end of input, expected a JSON value")
            }
            var value: JSONValue
            switch input[position] {
            case UInt8(ascii: "{"):
                guard frames.count < maxDepth else { throw depthError() }
                position += 1
                skipWhitespace()
                if position < end, input[position] == UInt8(ascii: "}") {
                    position += 1
                    value = .object(JSONObject())
                } else {
                    frames.append(Frame(isObject: true, valueStart: values.count, keyStart: keys.count))
                    keys.push(try parseKey(afterComma: false))
                    continue nextValue
                }
            case UInt8(ascii: "["):
                guard frames.count < maxDepth else { throw depthError() }
                position += 1
                skipWhitespace()
                if position < end, input[position] == UInt8(ascii: "]") {
                    position += 1
                    value = .array([])
                } else {
                    frames.append(Frame(isObject: false, valueStart: values.count, keyStart: keys.count))
                    continue nextValue
                }
            case UInt8(ascii: "\""):
                value = .string(try parseString())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = try parseNumber()
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                value = .null
            default:
                throw unexpectedValueStart()
            }

            // Attach the finished value to its parent, closing every container that ends here.
            while let frame = frames.last {
                values.push(value)
                skipWhitespace()
                guard position < end else {
                    throw error(
                        at: position,
                        frame.isObject
                            ? "unexpected end of input inside object, expected ',' or '}'"
                            : "unexpected end of input inside array, expected ',' or ']'"
                    )
                }
                let next = input[position]
                if next == UInt8(ascii: ",") {
                    position += 1
                    if frame.isObject {
                        keys.push(try parseKey(afterComma: true))
                    } else {
                        skipWhitespace()
                        if position < end, input[position] == UInt8(ascii: "]") {
                            throw error(at: position, "trailing comma before ']' is not allowed")
                        }
                    }
                    continue nextValue
                }
                if frame.isObject {
                    guard next == UInt8(ascii: "}") else {
                        throw error(
                            at: position,
                            "expected ',' or '}' after object member, found \(describeByte(at: position))"
                        )
                    }
                    position += 1
                    value = .object(
                        JSONObject(
                            uncheckedKeys: keys.popSuffix(from: frame.keyStart),
                            values: values.popSuffix(from: frame.valueStart)
                        )
                    )
                } else {
                    guard next == UInt8(ascii: "]") else {
                        throw error(
                            at: position,
                            "expected ',' or ']' after array element, found \(describeByte(at: position))"
                        )
                    }
                    position += 1
                    value = .array(values.popSuffix(from: frame.valueStart))
                }
                frames.removeLast()
            }
            return value
        }
    }

    /// Parses an object key and the `:` after it; `position` is just after `{` or `,`.
    private mutating func parseKey(afterComma: Bool) throws(JSONParseError) -> String {
        skipWhitespace()
        guard position < input.count else {
            throw error(at: position, "unexpected end of input inside object, expected a string key")
        }
        let byte = input[position]
        guard byte == UInt8(ascii: "\"") else {
            if afterComma, byte == UInt8(ascii: "}") {
                throw error(at: position, "trailing comma before '}' is not allowed")
            }
            throw error(
                at: position,
                "expected a double-quoted string as object key, found \(describeByte(at: position))"
            )
        }
        let key = try parseString()
        skipWhitespace()
        guard position < input.count, input[position] == UInt8(ascii: ":") else {
            throw error(at: position, "expected ':' after object key, found \(describeByte(at: position))")
        }
        position += 1
        return key
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let bytes = literal.utf8Start
        for k in 0..<count where position + k >= input.count || input[position + k] != bytes[k] {
            throw error(at: position, "invalid literal, expected '\(literal)'")
        }
        position += count
    }

    @inline(__always)
    internal mutating func skipWhitespace() {
        let end = input.count
        while position < end {
            switch input[position] {
            case 0x20, 0x0A, 0x0D, 0x09:
                position += 1
            default:
                return
            }
        }
    }

    // MARK: - Errors

    internal func error(at offset: Int, _ reason: String) -> JSONParseError {
        JSONParseError(offset: offset, in: input, reason: reason)
    }

    private func depthError() -> JSONParseError {
        error(at: position, "nesting depth exceeds the maximum of \(maxDepth) nested arrays and objects")
    }

    private func unexpectedValueStart() -> JSONParseError {
        let reason: String
        switch input[position] {
        case UInt8(ascii: "/"):
            reason = "comments are not allowed in JSON"
        case UInt8(ascii: "'"):
            reason = "strings must be enclosed in double quotes, not single quotes"
        case UInt8(ascii: "N"):
            reason = "NaN is not a valid JSON value"
        case UInt8(ascii: "I"):
            reason = "Infinity is not a valid JSON value"
        case UInt8(ascii: "+"):
            reason = "numbers must not start with '+'"
        case UInt8(ascii: "."):
            reason = "numbers must start with a digit, not '.'"
        default:
            reason = "unexpected \(describeByte(at: position)), expected a JSON value"
        }
        return error(at: position, reason)
    }

    /// A readable description of the input at `offset`, for error messages.
    internal func describeByte(at offset: Int) -> String {
        guard offset < input.count else { return "end of input" }
        let byte = input[offset]
        switch byte {
        case UInt8(ascii: "'"):
            return "\"'\""
        case 0x21...0x7E:
            return "'\(Character(Unicode.Scalar(byte)))'"
        case 0x20:
            return "space"
        case 0x0A:
            return "newline"
        case 0x0D:
            return "carriage return"
        case 0x09:
            return "tab"
        case 0x00..<0x20, 0x7F:
            return "control character U+\(hex(UInt32(byte), width: 4))"
        default:
            var iterator = UnsafeBufferPointer(rebasing: input[offset...]).makeIterator()
            var decoder = Unicode.UTF8()
            if case .scalarValue(let scalar) = decoder.decode(&iterator) {
                return "'\(Character(scalar))' (U+\(hex(scalar.value, width: 4)))"
            }
            return "invalid UTF-8 byte 0x\(hex(UInt32(byte), width: 2))"
        }
    }
}

/// Uppercase hexadecimal for `value`, zero-padded to at least `width` digits.
internal func hex(_ value: UInt32, width: Int) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
