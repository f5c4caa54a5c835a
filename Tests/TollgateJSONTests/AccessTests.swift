import Testing
import TollgateJSON

@Suite("Accessors")
struct AccessTests {
    let document: JSONValue = [
        "service": ["name": "api", "ports": [80, 443], "meta": ["tier": "gold"]],
        "list": [["id": 1], ["id": 2]],
        "flag": false,
    ]

    @Test func keySubscript() {
        #expect(document["flag"] == false)
        #expect(document["missing"] == nil)
        #expect(JSONValue.array([1])["flag"] == nil)
        #expect(JSONValue.string("flag")["flag"] == nil)
    }

    @Test func indexSubscript() {
        let ports = document["service"]?["ports"]
        #expect(ports?[0] == 80)
        #expect(ports?[1] == 443)
        #expect(ports?[2] == nil)
        #expect(ports?[-1] == nil)
        #expect(document[0] == nil)
    }

    @Test func pathSubscriptWalksObjectsAndArrays() {
        #expect(document[["service", "meta", "tier"]] == "gold")
        #expect(document[["service", "ports", "1"]] == 443)
        #expect(document[["list", "1", "id"]] == 2)
        #expect(document[[]] == document)
    }

    @Test func pathSubscriptFailsCleanly() {
        #expect(document[["service", "ports", "2"]] == nil)
        #expect(document[["service", "ports", "-1"]] == nil)
        #expect(document[["service", "ports", "x"]] == nil)
        #expect(document[["service", "ports", ""]] == nil)
        #expect(document[["service", "ports", "99999999999999999999999"]] == nil)
        #expect(document[["flag", "deeper"]] == nil)
        #expect(document[["nope", "tier"]] == nil)
    }

    @Test func pathDigitsAreKeysOnObjects() {
        let value: JSONValue = ["0": "zero-key", "items": ["a"]]
        #expect(value[["0"]] == "zero-key")
        #expect(value[["items", "0"]] == "a")
    }

    @Test func typedAccessors() {
        #expect(JSONValue.string("s").stringValue == "s")
        #expect(JSONValue.int(1).stringValue == nil)
        #expect(JSONValue.bool(true).boolValue == true)
        #expect(JSONValue.int(0).boolValue == nil)
        #expect(JSONValue.array([1]).arrayValue == [1])
        #expect(JSONValue.object(["a": 1]).arrayValue == nil)
        #expect(JSONValue.object(["a": 1]).objectValue == ["a": 1])
        #expect(JSONValue.null.objectValue == nil)
    }

    @Test func intValueAcceptsIntegralDoubles() {
        #expect(JSONValue.int(-5).intValue == -5)
        #expect(JSONValue.double(3.0).intValue == 3)
        #expect(JSONValue.double(-0.0).intValue == 0)
        #expect(JSONValue.double(3.5).intValue == nil)
        #expect(JSONValue.double(1e300).intValue == nil)
        #expect(JSONValue.double(9_223_372_036_854_775_808.0).intValue == nil)
        #expect(JSONValue.string("3").intValue == nil)
    }

    @Test func doubleValueAcceptsInts() {
        #expect(JSONValue.int(7).doubleValue == 7.0)
        #expect(JSONValue.double(0.25).doubleValue == 0.25)
        #expect(JSONValue.bool(true).doubleValue == nil)
    }

    @Test func isNull() {
        #expect(JSONValue.null.isNull)
        #expect(!JSONValue.int(0).isNull)
        #expect(!JSONValue.string("null").isNull)
    }

    @Test func typeNames() {
        let values: [JSONValue] = [nil, true, 1, 1.5, "s", [], [:]]
        #expect(values.map(\.typeName) == ["null", "boolean", "integer", "number", "string", "array", "object"])
    }
}
