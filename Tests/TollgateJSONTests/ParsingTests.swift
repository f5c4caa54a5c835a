import Testing
import TollgateJSON

@Suite("Parsing values")
struct ParsingTests {
    @Test func scalars() throws {
        #expect(try parsed("null") == .null)
        #expect(try parsed("true") == .bool(true))
        #expect(try parsed("false") == .bool(false))
        #expect(try parsed("42") == .int(42))
        #expect(try parsed("-7") == .int(-7))
        #expect(try parsed("2.5") == .double(2.5))
        #expect(try parsed(#""hi""#) == .string("hi"))
    }

    @Test func surroundingWhitespaceIsAllowed() throws {
        #expect(try parsed(" \t\r\n [ 1 , 2 ] \n\t ") == .array([.int(1), .int(2)]))
        #expect(try parsed("\n{ \"a\" :\ttrue }\r\n") == .object(JSONObject([("a", .bool(true))])))
    }

    @Test func emptyContainers() throws {
        #expect(try parsed("[]") == .array([]))
        #expect(try parsed("{}") == .object(JSONObject()))
        #expect(try parsed("[ ]") == .array([]))
        #expect(try parsed("{ \n }") == .object(JSONObject()))
        #expect(try parsed("[[],{}]") == .array([.array([]), .object(JSONObject())]))
    }

    @Test func nestedStructure() throws {
        let value = try parsed(#"{"user":{"name":"ada","roles":["admin","dev"],"age":36},"ok":true,"n":null}"#)
        let expected: JSONValue = [
            "user": ["name": "ada", "roles": ["admin", "dev"], "age": 36],
            "ok": true,
            "n": nil,
        ]
        #expect(value == expected)
        #expect(value.objectValue?.keys == ["user", "ok", "n"])
        #expect(value["user"]?.objectValue?.keys == ["name", "roles", "age"])
    }

    @Test func arraysOfMixedValuesKeepOrder() throws {
        let value = try parsed(#"[3,"x",null,false,1.5,[2],{"k":0}]"#)
        #expect(value == [3, "x", nil, false, 1.5, [2], ["k": 0]])
    }

    @Test func acceptsByteCollections() throws {
        let text = #"{"a":[1,2]}"#
        let expected: JSONValue = ["a": [1, 2]]
        #expect(try JSONValue.parse(Array(text.utf8)) == expected)
        let padded = Array("xx\(text)yy".utf8)
        #expect(try JSONValue.parse(padded[2..<(padded.count - 2)]) == expected)
        #expect(try JSONValue.parse(text.utf8) == expected)
        // A non-contiguous collection takes the copying path.
        #expect(try JSONValue.parse(text.utf8.lazy.map { $0 }) == expected)
    }

    @Test func stringEscapesInKeysAndValuesInsideContainers() throws {
        let value = try parsed(#"{"a\"b":["c\nd", "\u00e9"]}"#)
        #expect(value["a\"b"] == ["c\nd", "é"])
    }

    @Test func largeDocument() throws {
        var text = "["
        for i in 0..<5_000 {
            if i > 0 { text += "," }
            text += #"{"id":\#(i),"name":"item \#(i)","tags":["a","b"],"score":\#(Double(i) / 4)}"#
        }
        text += "]"
        let value = try parsed(text)
        #expect(value.arrayValue?.count == 5_000)
        #expect(value[4_321]?["id"] == .int(4_321))
        #expect(value[4_321]?["name"] == "item 4321")
        #expect(value[3]?["score"] == .double(0.75))
        #expect(try JSONValue.parse(value.serialized()) == value)
    }
}
