import Testing
import TollgateJSON

/// One malformed input with where the error must point and what it must say.
struct ErrorCase: Sendable, CustomTestStringConvertible {
    let input: String
    let line: Int
    let column: Int
    let reason: String

    init(_ input: String, _ line: Int, _ column: Int, _ reason: String) {
        self.input = input
        self.line = line
        self.column = column
        self.reason = reason
    }

    var testDescription: String { input.debugDescription }
}

@Suite("Parse errors")
struct ParseErrorTests {
    static let cases: [ErrorCase] = [
        // Empty input and structure.
        ErrorCase("", 1, 1, "unexpected end of input, expected a JSON value"),
        ErrorCase("  \n ", 2, 2, "unexpected end of input, expected a JSON value"),
        ErrorCase("[1,]", 1, 4, "trailing comma before ']' is not allowed"),
        ErrorCase(#"{"a":1,}"#, 1, 8, "trailing comma before '}' is not allowed"),
        ErrorCase(#"{"a":1 "b":2}"#, 1, 8, #"expected ',' or '}' after object member, found '"'"#),
        ErrorCase("[1 2]", 1, 4, "expected ',' or ']' after array element, found '2'"),
        ErrorCase(#"{"a" 1}"#, 1, 6, "expected ':' after object key, found '1'"),
        ErrorCase("{a:1}", 1, 2, "expected a double-quoted string as object key, found 'a'"),
        ErrorCase("{'a':1}", 1, 2, #"expected a double-quoted string as object key, found "'""#),
        ErrorCase("[1,2", 1, 5, "unexpected end of input inside array, expected ',' or ']'"),
        ErrorCase(#"{"a":1"#, 1, 7, "unexpected end of input inside object, expected ',' or '}'"),
        ErrorCase(#"{"a":"#, 1, 6, "unexpected end of input, expected a JSON value"),
        ErrorCase("{", 1, 2, "unexpected end of input inside object, expected a string key"),
        ErrorCase(#"{"a":}"#, 1, 6, "unexpected '}', expected a JSON value"),
        ErrorCase("[,1]", 1, 2, "unexpected ',', expected a JSON value"),
        ErrorCase("]", 1, 1, "unexpected ']', expected a JSON value"),
        ErrorCase("1 2", 1, 3, "unexpected '2' after the JSON value; a JSON text holds exactly one value"),
        ErrorCase("{} {}", 1, 4, "unexpected '{' after the JSON value; a JSON text holds exactly one value"),
        // Literals and non-JSON tokens.
        ErrorCase("tru", 1, 1, "invalid literal, expected 'true'"),
        ErrorCase("[fals]", 1, 2, "invalid literal, expected 'false'"),
        ErrorCase("nul", 1, 1, "invalid literal, expected 'null'"),
        ErrorCase("True", 1, 1, "unexpected 'T', expected a JSON value"),
        ErrorCase("NaN", 1, 1, "NaN is not a valid JSON value"),
        ErrorCase("[Infinity]", 1, 2, "Infinity is not a valid JSON value"),
        ErrorCase("-Infinity", 1, 1, "-Infinity is not a valid JSON value"),
        ErrorCase("// note\n1", 1, 1, "comments are not allowed in JSON"),
        ErrorCase("[1, /* two */ 2]", 1, 5, "comments are not allowed in JSON"),
        ErrorCase("'text'", 1, 1, "strings must be enclosed in double quotes, not single quotes"),
        ErrorCase("\u{201C}x\u{201D}", 1, 1, "unexpected '\u{201C}' (U+201C), expected a JSON value"),
        ErrorCase("\u{FEFF}1", 1, 1, "byte order mark (U+FEFF) at start of input is not allowed in JSON"),
        // Numbers.
        ErrorCase("01", 1, 1, "leading zeros are not allowed in numbers"),
        ErrorCase("[-012]", 1, 3, "leading zeros are not allowed in numbers"),
        ErrorCase("-", 1, 2, "expected a digit after '-', found end of input"),
        ErrorCase("-x", 1, 2, "expected a digit after '-', found 'x'"),
        ErrorCase("1.", 1, 3, "expected a digit after the decimal point, found end of input"),
        ErrorCase("1.e5", 1, 3, "expected a digit after the decimal point, found 'e'"),
        ErrorCase("1e", 1, 3, "expected a digit in the exponent, found end of input"),
        ErrorCase("1e+", 1, 4, "expected a digit in the exponent, found end of input"),
        ErrorCase("+1", 1, 1, "numbers must not start with '+'"),
        ErrorCase(".5", 1, 1, "numbers must start with a digit, not '.'"),
        ErrorCase("0x10", 1, 2, "unexpected 'x' after the JSON value; a JSON text holds exactly one value"),
        ErrorCase("[1e999]", 1, 2, "number '1e999' is out of range: its magnitude is too large for a 64-bit floating-point value"),
        // Strings.
        ErrorCase(#""abc"#, 1, 1, #"unterminated string: no closing '"' before end of input"#),
        ErrorCase(#"["abc\"#, 1, 2, #"unterminated string: no closing '"' before end of input"#),
        ErrorCase(#""a\x""#, 1, 3, #"invalid escape sequence '\x' in string; valid escapes are \" \\ \/ \b \f \n \r \t and \uXXXX"#),
        ErrorCase(#""a\'""#, 1, 3, #"invalid escape sequence '\' followed by "'" in string; valid escapes are \" \\ \/ \b \f \n \r \t and \uXXXX"#),
        ErrorCase(#""\u12G4""#, 1, 2, #"invalid \u escape: expected 4 hexadecimal digits after '\u'"#),
        ErrorCase(#""\u12""#, 1, 2, #"invalid \u escape: expected 4 hexadecimal digits after '\u'"#),
        ErrorCase("\"a\tb\"", 1, 3, #"unescaped tab in string; control characters must be escaped (e.g. \n, \t, \u0000)"#),
        // Multi-line positions.
        ErrorCase("{\n  \"a\": 1,\n  \"b\": [1, 2,]\n}", 3, 14, "trailing comma before ']' is not allowed"),
        ErrorCase("{\n  \"a\": 1\n  \"b\": 2\n}", 3, 3, #"expected ',' or '}' after object member, found '"'"#),
        ErrorCase("[\r\n1,\r\n2\r\n", 4, 1, "unexpected end of input inside array, expected ',' or ']'"),
    ]

    @Test(arguments: cases)
    func reportsPositionAndReason(_ testCase: ErrorCase) throws {
        let error = try #require(parseError(testCase.input))
        #expect(error.reason == testCase.reason)
        #expect(error.line == testCase.line, "line")
        #expect(error.column == testCase.column, "column")
    }

    @Test func descriptionHasLineColumnAndReason() throws {
        let error = try #require(parseError("{\n  \"a\": 1,\n  \"b\": [1, 2,]\n}"))
        #expect(error.description == "line 3, column 14: trailing comma before ']' is not allowed")
        #expect(error.offset == 25)
    }

    @Test func columnsCountBytes() throws {
        // "é" is two UTF-8 bytes, so the bad token after it is at byte column 7, not 6.
        let error = try #require(parseError(#"["é" x]"#))
        #expect(error.offset == 6)
        #expect(error.column == 7)
        #expect(error.reason == "expected ',' or ']' after array element, found 'x'")
    }

    @Test func invalidUTF8OutsideStrings() throws {
        let error = try #require(parseError(bytes: [0x5B, 0xFF, 0x5D]))
        #expect(error.offset == 1)
        #expect(error.reason == "unexpected invalid UTF-8 byte 0xFF, expected a JSON value")
    }

    @Test func controlCharacterOutsideStrings() throws {
        let error = try #require(parseError(bytes: [0x5B, 0x01, 0x5D]))
        #expect(error.reason == "unexpected control character U+0001, expected a JSON value")
    }

    @Test func errorsAreEquatableValues() {
        let a = parseError("[1,]")
        let b = parseError("[1,]")
        #expect(a != nil && a == b)
        #expect(a != parseError("[1 ,]"))
    }
}
