import Testing
import TollgateJSON

@Suite("Strings, escapes and Unicode")
struct StringTests {
    @Test func simpleEscapes() throws {
        let value = try parsed(#""q\" b\\ s\/ \b\f\n\r\t""#)
        #expect(value == .string("q\" b\\ s/ \u{8}\u{C}\n\r\t"))
    }

    @Test func unicodeEscapes() throws {
        #expect(try parsed(#""\u0041\u00e9\u00E9\u4e2d""#) == .string("Aéé中"))
        #expect(try parsed(#""\u0000""#) == .string("\u{0}"))
        #expect(try parsed(#""a\u001fb""#) == .string("a\u{1F}b"))
    }

    @Test func surrogatePairsDecodeToNonBMPScalars() throws {
        let value = try parsed(#""\uD83D\uDE00 \ud834\udd1e""#)
        #expect(value == .string("😀 𝄞"))
        #expect(value.stringValue?.unicodeScalars.map(\.value) == [0x1F600, 0x20, 0x1D11E])
    }

    @Test func rawUTF8IsKept() throws {
        let value = try parsed(#"{"emoji":"👩‍💻 ok","cjk":"日本語","mixed":"é\n😀"}"#)
        #expect(value["emoji"] == "👩‍💻 ok")
        #expect(value["cjk"] == "日本語")
        #expect(value["mixed"] == "é\n😀")
    }

    @Test func nonASCIIKeys() throws {
        let value = try parsed(#"{"clé":1,"ключ":2}"#)
        #expect(value.objectValue?.keys == ["clé", "ключ"])
        #expect(value["ключ"] == 2)
    }

    @Test(arguments: [
        ("unpaired high", #""\uD83D""#),
        ("high then text", #""\uD83Dx""#),
        ("high then non-low escape", #""\uD83D\u0041""#),
        ("two highs", #""\uD83D\uD83D""#),
    ])
    func loneHighSurrogateIsRejected(name: String, text: String) {
        let error = parseError(text)
        #expect(error?.column == 2, "\(name)")
        #expect(error?.reason.hasPrefix("unpaired high surrogate \\uD83D") == true, "\(name): \(String(describing: error))")
    }

    @Test func loneLowSurrogateIsRejected() {
        let error = parseError(#"["ok","a\uDE00"]"#)
        #expect(error?.column == 9)
        #expect(error?.reason.hasPrefix("unpaired low surrogate \\uDE00") == true)
    }

    @Test(arguments: [
        ("lone continuation byte", [0x80] as [UInt8]),
        ("invalid byte 0xFF", [0xFF]),
        ("overlong slash", [0xC0, 0xAF]),
        ("overlong three-byte", [0xE0, 0x80, 0xAF]),
        ("UTF-8 encoded surrogate", [0xED, 0xA0, 0x80]),
        ("beyond U+10FFFF", [0xF4, 0x90, 0x80, 0x80]),
        ("truncated sequence", [0xE2, 0x82]),
        ("lead byte then ASCII", [0xC3, 0x28]),
    ])
    func invalidUTF8InStringsIsRejected(name: String, bad: [UInt8]) {
        let input: [UInt8] = Array(#"["é", "ab"#.utf8) + bad + Array(#"cd"]"#.utf8)
        let error = parseError(bytes: input)
        // The bad bytes start after `["é", "ab` (10 bytes: é is two).
        #expect(error?.offset == 10, "\(name)")
        #expect(error?.column == 11, "\(name)")
        #expect(error?.reason.hasPrefix("invalid UTF-8 sequence starting with byte 0x") == true, "\(name)")
    }

    @Test func invalidUTF8InEscapedStringIsRejected() {
        let input: [UInt8] = Array(#""a\n"#.utf8) + [0xFF] + Array(#"""#.utf8)
        let error = parseError(bytes: input)
        #expect(error?.offset == 4)
        #expect(error?.reason == "invalid UTF-8 sequence starting with byte 0xFF in string")
    }

    @Test func validFourByteSequencesAtTheEdges() throws {
        // U+10000 and U+10FFFF, raw.
        let input: [UInt8] = [0x22, 0xF0, 0x90, 0x80, 0x80, 0xF4, 0x8F, 0xBF, 0xBF, 0x22]
        #expect(try JSONValue.parse(input).stringValue?.unicodeScalars.map(\.value) == [0x10000, 0x10FFFF])
    }

    @Test func rawControlCharactersAreRejected() {
        let newline = parseError("\"a\nb\"")
        #expect(newline?.offset == 2)
        #expect(newline?.reason.hasPrefix("unescaped newline in string") == true)
        let tab = parseError("[\"\\n\t\"]")
        #expect(tab?.offset == 4)
        #expect(tab?.reason.hasPrefix("unescaped tab in string") == true)
        let nul = parseError(bytes: [0x22, 0x00, 0x22])
        #expect(nul?.reason.hasPrefix("unescaped control character U+0000 in string") == true)
    }

    @Test func delIsAllowedRaw() throws {
        #expect(try JSONValue.parse([0x22, 0x7F, 0x22]) == .string("\u{7F}"))
    }

    @Test func stringRoundTripThroughSerializer() throws {
        let original: JSONValue = .string("\"\\/\u{0}\u{1F}\u{7F} é 😀 \u{2028}")
        #expect(try JSONValue.parse(original.serialized()) == original)
    }
}
