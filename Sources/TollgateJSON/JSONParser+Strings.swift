extension JSONParser {
    /// Parses a string; `position` is at the opening quote and ends just past the closing one.
    ///
    /// Strings without escapes are built straight from the input bytes; strings with
    /// escapes are decoded into the reused `scratch` buffer. Either way the `String` is
    /// created once, after UTF-8 validation (skipped for all-ASCII strings).
    internal mutating func parseString() throws(JSONParseError) -> String {
        let quote = position
        let start = position + 1
        let end = input.count
        var index = start
        var sawNonASCII = false
        while index < end {
            let byte = input[index]
            if byte == UInt8(ascii: "\"") {
                position = index + 1
                return try makeString(from: start..<index, nonASCII: sawNonASCII)
            }
            if byte == UInt8(ascii: "\\") {
                position = index
                return try parseEscapedString(quote: quote, start: start, nonASCII: sawNonASCII)
            }
            if byte < 0x20 {
                throw controlCharacterError(at: index)
            }
            if byte >= 0x80 {
                sawNonASCII = true
            }
            index += 1
        }
        throw unterminatedString(quote)
    }

    private func makeString(from range: Range<Int>, nonASCII: Bool) throws(JSONParseError) -> String {
        let bytes = UnsafeBufferPointer(rebasing: input[range])
        if !nonASCII {
            return String(decoding: bytes, as: UTF8.self)
        }
        if let offset = firstInvalidUTF8(in: range) {
            throw invalidUTF8(at: offset)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The slow path: `position` is at the first backslash of the string starting at `start`.
    private mutating func parseEscapedString(
        quote: Int,
        start: Int,
        nonASCII: Bool
    ) throws(JSONParseError) -> String {
        var sawNonASCII = nonASCII
        let end = input.count
        scratch.removeAll(keepingCapacity: true)
        var segmentStart = start
        while position < end {
            let byte = input[position]
            if byte == UInt8(ascii: "\"") {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[segmentStart..<position]))
                let closing = position
                position += 1
                // Escapes always decode to valid UTF-8, so only the raw bytes need checking.
                if sawNonASCII, let offset = firstInvalidUTF8(in: start..<closing) {
                    throw invalidUTF8(at: offset)
                }
                return String(decoding: scratch, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[segmentStart..<position]))
                try parseEscape(quote: quote)
                segmentStart = position
                continue
            }
            if byte < 0x20 {
                throw controlCharacterError(at: position)
            }
            if byte >= 0x80 {
                sawNonASCII = true
            }
            position += 1
        }
        throw unterminatedString(quote)
    }

    /// Decodes one escape into `scratch`; `position` is at the backslash and ends after the escape.
    private mutating func parseEscape(quote: Int) throws(JSONParseError) {
        let escapeStart = position
        position += 1
        guard position < input.count else { throw unterminatedString(quote) }
        let byte = input[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"):
            scratch.append(byte)
        case UInt8(ascii: "b"):
            scratch.append(0x08)
        case UInt8(ascii: "f"):
            scratch.append(0x0C)
        case UInt8(ascii: "n"):
            scratch.append(0x0A)
        case UInt8(ascii: "r"):
            scratch.append(0x0D)
        case UInt8(ascii: "t"):
            scratch.append(0x09)
        case UInt8(ascii: "u"):
            guard let unit = hex4(at: position) else {
                throw error(at: escapeStart, "invalid \\u escape: expected 4 hexadecimal digits after '\\u'")
            }
            position += 4
            var scalar = UInt32(unit)
            switch unit {
            case 0xD800...0xDBFF:
                guard position + 1 < input.count,
                    input[position] == UInt8(ascii: "\\"),
                    input[position + 1] == UInt8(ascii: "u"),
                    let low = hex4(at: position + 2),
                    (0xDC00...0xDFFF).contains(low)
                else {
                    throw error(
                        at: escapeStart,
                        "unpaired high surrogate \\u\(hex(scalar, width: 4)) in string; it must be followed by a low surrogate escape \\uDC00-\\uDFFF"
                    )
                }
                position += 6
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            case 0xDC00...0xDFFF:
                throw error(
                    at: escapeStart,
                    "unpaired low surrogate \\u\(hex(scalar, width: 4)) in string; it must follow a high surrogate escape \\uD800-\\uDBFF"
                )
            default:
                break
            }
            appendUTF8(scalar)
        default:
            let shown = (0x21...0x7E).contains(byte) && byte != UInt8(ascii: "'")
                ? "'\\\(Character(Unicode.Scalar(byte)))'"
                : "'\\' followed by \(describeByte(at: escapeStart + 1))"
            throw error(
                at: escapeStart,
                "invalid escape sequence \(shown) in string; valid escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX"
            )
        }
    }

    /// The value of four hexadecimal digits at `offset`, or `nil`.
    private func hex4(at offset: Int) -> UInt16? {
        guard offset + 4 <= input.count else { return nil }
        var value: UInt16 = 0
        for k in 0..<4 {
            let byte = input[offset + k]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    // MARK: - String errors

    private func unterminatedString(_ quote: Int) -> JSONParseError {
        error(at: quote, "unterminated string: no closing '\"' before end of input")
    }

    private func controlCharacterError(at offset: Int) -> JSONParseError {
        error(
            at: offset,
            "unescaped \(describeByte(at: offset)) in string; control characters must be escaped (e.g. \\n, \\t, \\u0000)"
        )
    }

    private func invalidUTF8(at offset: Int) -> JSONParseError {
        error(
            at: offset,
            "invalid UTF-8 sequence starting with byte 0x\(hex(UInt32(input[offset]), width: 2)) in string"
        )
    }

    /// The offset of the first byte that does not start a well-formed UTF-8 sequence
    /// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
    private func firstInvalidUTF8(in range: Range<Int>) -> Int? {
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            let lead = input[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let trailing: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: trailing = 1
            case 0xE0: trailing = 2; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: trailing = 2
            case 0xED: trailing = 2; high = 0x9F
            case 0xF0: trailing = 3; low = 0x90
            case 0xF1...0xF3: trailing = 3
            case 0xF4: trailing = 3; high = 0x8F
            default: return index
            }
            guard index + trailing < end else { return index }
            let second = input[index + 1]
            guard second >= low, second <= high else { return index }
            if trailing >= 2 {
                for k in 2...trailing where input[index + k] & 0xC0 != 0x80 {
                    return index
                }
            }
            index += trailing + 1
        }
        return nil
    }
}
