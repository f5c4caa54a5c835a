import Testing
import TollgateJSON

@Suite("JSONObject")
struct JSONObjectTests {
    @Test func keepsInsertionOrder() {
        var object = JSONObject()
        object["zeta"] = 1
        object["alpha"] = 2
        object["mid"] = 3
        #expect(object.keys == ["zeta", "alpha", "mid"])
        #expect(object.values == [1, 2, 3])
        #expect(object.map(\.key) == ["zeta", "alpha", "mid"])
        #expect(object.count == 3)
        #expect(!object.isEmpty)
        #expect(JSONObject().isEmpty)
    }

    @Test func settingExistingKeyKeepsPosition() {
        var object: JSONObject = ["a": 1, "b": 2, "c": 3]
        object["b"] = "changed"
        #expect(object.keys == ["a", "b", "c"])
        #expect(object["b"] == "changed")
    }

    @Test func settingNilRemoves() {
        var object: JSONObject = ["a": 1, "b": 2, "c": 3]
        object["b"] = nil
        #expect(object.keys == ["a", "c"])
        #expect(object["b"] == nil)
        #expect(object["c"] == 3)
        #expect(object.removeValue(forKey: "a") == 1)
        #expect(object.removeValue(forKey: "missing") == nil)
        #expect(object.keys == ["c"])
    }

    @Test func storedNullIsNotAbsence() {
        var object = JSONObject()
        object["n"] = .null
        #expect(object["n"] == .null)
        #expect(object.count == 1)
    }

    @Test func duplicatePairsKeepFirstPositionAndLastValue() {
        let object = JSONObject([("a", 1), ("b", 2), ("a", 3)])
        #expect(object.keys == ["a", "b"])
        #expect(object["a"] == 3)
        let literal: JSONObject = ["x": 1, "y": 2, "x": 9]
        #expect(literal.keys == ["x", "y"])
        #expect(literal["x"] == 9)
    }

    @Test func duplicateKeysInLargeObject() {
        var pairs = (0..<20).map { ("k\($0)", JSONValue.int(Int64($0))) }
        pairs.append(("k3", "late"))
        let object = JSONObject(pairs)
        #expect(object.count == 20)
        #expect(object.keys[3] == "k3")
        #expect(object["k3"] == "late")
        #expect(object["k19"] == 19)
    }

    @Test func parsedDuplicateKeysLastWinsAtFirstPosition() throws {
        let value = try parsed(#"{"a":1,"b":2,"a":3}"#)
        #expect(value.objectValue?.keys == ["a", "b"])
        #expect(value["a"] == 3)
        #expect(value.serialized() == #"{"a":3,"b":2}"#)

        let many = "{" + (0..<12).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + #","k0":"again"}"#
        let large = try parsed(many)
        #expect(large.objectValue?.count == 12)
        #expect(large.objectValue?.keys.first == "k0")
        #expect(large["k0"] == "again")
    }

    @Test func lookupsStayCorrectAcrossIndexThreshold() {
        var object = JSONObject()
        let threshold = JSONObject.indexThreshold
        for i in 0..<(threshold * 3) {
            object["key\(i)"] = .int(Int64(i))
            for j in 0...i {
                #expect(object["key\(j)"] == .int(Int64(j)))
            }
            #expect(object["key\(i + 1)"] == nil)
        }
        // Remove from the front so positions shift, crossing back below the threshold.
        for i in 0..<(threshold * 3 - 2) {
            object["key\(i)"] = nil
            #expect(object["key\(i)"] == nil)
            #expect(object.position(of: "key\(i + 1)") == 0)
            #expect(object["key\(threshold * 3 - 1)"] == .int(Int64(threshold * 3 - 1)))
        }
        #expect(object.keys == ["key\(threshold * 3 - 2)", "key\(threshold * 3 - 1)"])
        // Re-grow past the threshold after shrinking.
        for i in 100..<120 {
            object["key\(i)"] = .int(Int64(i))
        }
        #expect(object.position(of: "key110") == 12)
        #expect(object["key110"] == 110)
    }

    @Test func equalityIsOrderSensitive() {
        let ab: JSONObject = ["a": 1, "b": 2]
        let ba: JSONObject = ["b": 2, "a": 1]
        #expect(ab != ba)
        #expect(ab == JSONObject([("a", 1), ("b", 2)]))
        #expect(JSONValue.object(ab).isEquivalent(to: .object(ba)))
    }

    @Test func equalityIgnoresHowTheObjectWasBuilt() {
        // One built past the index threshold and shrunk, one built directly.
        var grown = JSONObject()
        for i in 0..<12 { grown["k\(i)"] = .int(Int64(i)) }
        for i in 2..<12 { grown["k\(i)"] = nil }
        let direct: JSONObject = ["k0": 0, "k1": 1]
        #expect(grown == direct)
        #expect(grown.hashValue == direct.hashValue)
        #expect(Set([JSONValue.object(grown), .object(direct)]).count == 1)
    }

    @Test func hashingDistinguishesOrder() {
        let set: Set<JSONObject> = [["a": 1, "b": 2], ["b": 2, "a": 1], ["a": 1, "b": 2]]
        #expect(set.count == 2)
    }

    @Test func iterationYieldsNamedPairsInOrder() {
        let object: JSONObject = ["one": 1, "two": "2", "three": [3]]
        var seen: [String] = []
        for (key, value) in object {
            seen.append("\(key)=\(value)")
        }
        #expect(seen == ["one=1", #"two="2""#, "three=[3]"])
        let first = object.first { $0.value == "2" }
        #expect(first?.key == "two")
    }

    @Test func descriptionIsCompactJSON() {
        let object: JSONObject = ["b": [1, 2], "a": nil]
        #expect(object.description == #"{"b":[1,2],"a":null}"#)
    }
}
