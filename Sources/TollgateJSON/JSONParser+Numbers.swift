extension JSONParser {
    /// Parses a number; `position` is at its `-` or first digit.
    ///
    /// Integers (no fraction or exponent) that fit in `Int64` are accumulated directly
    /// from the bytes. `-0` becomes `.double(-0.0)` so the sign survives. Everything else
    /// is converted with the standard library's correctly rounded `Double` parser, and
    /// a number too large for a finite `Double` is an error.
    internal mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = position
        let end = input.count
        var negative = false
        if input[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
            guard position < end, isDigit(input[position]) else {
                if position < end, input[position] == UInt8(ascii: "I") {
                    throw error(at: start, "-Infinity is not a valid JSON value")
                }
                throw error(at: position, "expected a digit after '-', found \(describeByte(at: position))")
            }
        }

        let integerStart = position
        if input[position] == UInt8(ascii: "0") {
            position += 1
            if position < end, isDigit(input[position]) {
                throw error(at: integerStart, "leading zeros are not allowed in numbers")
            }
        } else {
            while position < end, isDigit(input[position]) {
                position += 1
            }
        }
        let integerEnd = position

        var isInteger = true
        if position < end, input[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < end, isDigit(input[position]) else {
                throw error(at: position, "expected a digit after the decimal point, found \(describeByte(at: position))")
            }
            while position < end, isDigit(input[position]) {
                position += 1
            }
        }
        if position < end, input[position] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            position += 1
            if position < end, input[position] == UInt8(ascii: "+") || input[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < end, isDigit(input[position]) else {
                throw error(at: position, "expected a digit in the exponent, found \(describeByte(at: position))")
            }
            while position < end, isDigit(input[position]) {
                position += 1
            }
        }

        if isInteger {
            if negative, integerEnd - integerStart == 1, input[integerStart] == UInt8(ascii: "0") {
                return .double(-0.0)
            }
            if let value = integerValue(integerStart..<integerEnd, negative: negative) {
                return .int(value)
            }
        }

        let text = String(decoding: UnsafeBufferPointer(rebasing: input[start..<position]), as: UTF8.self)
        guard let value = Double(text) else {
            throw error(at: start, "invalid number '\(text)'")
        }
        guard value.isFinite else {
            throw error(at: start, "number '\(abbreviated(text))' is out of range: its magnitude is too large for a 64-bit floating-point value")
        }
        return .double(value)
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    /// The integer spelled by the digits in `range`, or `nil` if it does not fit in `Int64`.
    private func integerValue(_ range: Range<Int>, negative: Bool) -> Int64? {
        if range.count <= 18 {
            var value: Int64 = 0
            for index in range {
                value = value &* 10 &+ Int64(input[index] &- UInt8(ascii: "0"))
            }
            return negative ? -value : value
        }
        // Accumulate negatively so that Int64.min is representable.
        var value: Int64 = 0
        for index in range {
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(Int64(input[index] &- UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            value = next
        }
        if negative { return value }
        return value == .min ? nil : -value
    }

    private func abbreviated(_ text: String) -> String {
        text.utf8.count <= 40 ? text : String(text.prefix(37)) + "..."
    }
}
