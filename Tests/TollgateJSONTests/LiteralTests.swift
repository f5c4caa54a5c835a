import Testing
import TollgateJSON

@Suite("Literal conformances")
struct LiteralTests {
    @Test func scalarLiterals() {
        let null: JSONValue = nil
        let bool: JSONValue = true
        let int: JSONValue = -12
        let double: JSONValue = 2.5
        let string: JSONValue = "text"
        #expect(null == .null)
        #expect(bool == .bool(true))
        #expect(int == .int(-12))
        #expect(double == .double(2.5))
        #expect(string == .string("text"))
    }

    @Test func integerLiteralIsNeverDouble() {
        let value: JSONValue = 3
        #expect(value != .double(3))
    }

    @Test func collectionLiterals() {
        let array: JSONValue = [1, "two", nil, [false]]
        #expect(array == .array([.int(1), .string("two"), .null, .array([.bool(false)])]))
        let object: JSONValue = ["z": 1, "a": ["nested": true]]
        #expect(object.objectValue?.keys == ["z", "a"])
        #expect(object == .object(JSONObject([("z", .int(1)), ("a", .object(JSONObject([("nested", .bool(true))])))])))
        let empty: JSONValue = [:]
        #expect(empty == .object(JSONObject()))
    }

    @Test func literalMatchesParsedDocument() throws {
        let literal: JSONValue = ["id": 7, "tags": ["x", "y"], "ratio": 0.5, "on": true, "none": nil]
        #expect(try parsed(#"{"id":7,"tags":["x","y"],"ratio":0.5,"on":true,"none":null}"#) == literal)
    }
}
