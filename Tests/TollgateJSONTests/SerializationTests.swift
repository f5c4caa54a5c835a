import Testing
import TollgateJSON

@Suite("Serialization")
struct SerializationTests {
    let sample: JSONValue = ["a": 1, "b": [true, nil]]

    @Test func compactHasNoWhitespace() {
        #expect(sample.serialized() == #"{"a":1,"b":[true,null]}"#)
        #expect(sample.description == #"{"a":1,"b":[true,null]}"#)
        #expect(sample.serializedBytes() == Array(#"{"a":1,"b":[true,null]}"#.utf8))
    }

    @Test func prettyUsesTwoSpaceIndentation() {
        let value: JSONValue = ["a": 1, "b": [true, nil], "c": ["d": "e"], "empty": [:], "none": []]
        let expected = """
            {
              "a": 1,
              "b": [
                true,
                null
              ],
              "c": {
                "d": "e"
              },
              "empty": {},
              "none": []
            }
            """
        #expect(value.serialized(pretty: true) == expected)
        #expect(JSONValue.int(3).serialized(pretty: true) == "3")
        #expect(JSONValue.array([]).serialized(pretty: true) == "[]")
    }

    @Test func sortedKeysAppliesAtEveryLevel() {
        let value: JSONValue = ["b": ["z": 1, "y": 2], "a": [["d": 1, "c": 2]], "B": 0, "é": 0, "aa": 0]
        #expect(value.serialized(sortedKeys: true) == #"{"B":0,"a":[{"c":2,"d":1}],"aa":0,"b":{"y":2,"z":1},"é":0}"#)
        #expect(value.serialized() == #"{"b":{"z":1,"y":2},"a":[{"d":1,"c":2}],"B":0,"é":0,"aa":0}"#)
        let pretty = value.serialized(pretty: true, sortedKeys: true)
        #expect(pretty.hasPrefix("{\n  \"B\": 0,\n  \"a\": [\n    {\n      \"c\": 2,"))
    }

    @Test func keyOrderSurvivesParseAndSerialize() throws {
        let text = #"{"zeta":1,"alpha":{"y":[1,{"q":0,"p":1}],"b":2},"mid":null}"#
        #expect(try JSONValue.parse(text).serialized() == text)
    }

    @Test(arguments: [
        (JSONValue.double(1.0), "1.0"),
        (.double(-2.0), "-2.0"),
        (.double(0.1), "0.1"),
        (.double(1.5), "1.5"),
        (.double(-0.0), "-0.0"),
        (.double(1e20), "1e+20"),
        (.double(1.2345e-7), "1.2345e-07"),
        (.double(.leastNonzeroMagnitude), "5e-324"),
        (.double(.greatestFiniteMagnitude), "1.7976931348623157e+308"),
        (.double(.infinity), "null"),
        (.double(-.infinity), "null"),
        (.double(.nan), "null"),
        (.int(0), "0"),
        (.int(-45), "-45"),
        (.int(.max), "9223372036854775807"),
        (.int(.min), "-9223372036854775808"),
    ])
    func numbers(value: JSONValue, text: String) {
        #expect(value.serialized() == text)
    }

    @Test func finiteDoublesRoundTripAsDoubles() throws {
        for number in [1.0, 0.1, 1e20, 1e16, 123456789.0, 9007199254740993.0, 1.2345e-7, -3.5, 2.5e-300] {
            #expect(try JSONValue.parse(JSONValue.double(number).serialized()) == .double(number), "\(number)")
        }
    }

    @Test func stringEscaping() {
        let value = JSONValue.string("quote\" back\\ slash/ nl\n cr\r tab\t bs\u{8} ff\u{C} nul\u{0} us\u{1F} del\u{7F} é 😀")
        #expect(value.serialized() == #""quote\" back\\ slash/ nl\n cr\r tab\t bs\b ff\f nul\u0000 us\u001f del\#u{7F} é 😀""#)
    }

    @Test func keysAreEscapedToo() {
        let value: JSONValue = ["a\"b\n": 1]
        #expect(value.serialized() == #"{"a\"b\n":1}"#)
    }

    @Test func bridgedStringsSerialize() {
        // A string built from a lazily transformed sequence may not be natively stored.
        let text = String(String("héllo \"x\"".reversed()))
        #expect(JSONValue.string(text).serialized() == #""\"x\" olléh""#)
    }
}
