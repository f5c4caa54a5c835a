import Foundation
import Testing
import TollgateJSON

@Suite("Codable bridging")
struct CodableTests {
    struct Policy: Codable, Equatable {
        var name: String
        var version: Int
        var weight: Double
        var enabled: Bool
        var tags: [String]
        var limits: [String: Int]
        var note: String?
    }

    let policy = Policy(
        name: "gate",
        version: 3,
        weight: 0.75,
        enabled: true,
        tags: ["a", "b"],
        limits: ["cpu": 2],
        note: nil
    )

    @Test func encodingStructGivesMatchingValue() throws {
        let value = try JSONValue(encoding: policy)
        #expect(value["name"] == "gate")
        #expect(value["version"] == 3)
        #expect(value["weight"] == .double(0.75))
        #expect(value["enabled"] == true)
        #expect(value["tags"] == ["a", "b"])
        #expect(value[["limits", "cpu"]] == 2)
        #expect(value["note"] == nil)
    }

    @Test func encodedKeysAreSortedAndStable() throws {
        let value = try JSONValue(encoding: policy)
        #expect(value.objectValue?.keys == ["enabled", "limits", "name", "tags", "version", "weight"])
        #expect(try JSONValue(encoding: policy) == value)
    }

    @Test func structRoundTrip() throws {
        let value = try JSONValue(encoding: policy)
        #expect(try value.decode(Policy.self) == policy)
    }

    @Test func decodeFromHandWrittenValue() throws {
        let value: JSONValue = [
            "name": "x", "version": 1, "weight": 2, "enabled": false,
            "tags": [], "limits": ["m": 5], "note": "hi",
        ]
        let decoded = try value.decode(Policy.self)
        #expect(decoded.weight == 2.0)
        #expect(decoded.note == "hi")
        #expect(decoded.limits == ["m": 5])
    }

    @Test func decodeTypeMismatchThrows() {
        let value: JSONValue = ["name": 1]
        #expect(throws: DecodingError.self) { try value.decode(Policy.self) }
    }

    @Test func jsonValueThroughJSONEncoderAndDecoder() throws {
        let original = try parsed(#"{"z":[1,2.5,"s",null,true],"a":{"k":-4},"m":[]}"#)
        let data = try JSONEncoder().encode(original)
        let reparsed = try JSONValue.parse(data)
        #expect(reparsed.isEquivalent(to: original))
        let decoded = try JSONDecoder().decode(JSONValue.self, from: data)
        #expect(decoded.isEquivalent(to: original))
        #expect(decoded["z"] == [1, 2.5, "s", nil, true])
        // A generic decoder loses key order, so keys come back sorted.
        #expect(decoded.objectValue?.keys == ["a", "m", "z"])
    }

    @Test func decoderDistinguishesScalarKinds() throws {
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(#"[true,7,-1.25,"7",null]"#.utf8))
        #expect(decoded[0] == .bool(true))
        #expect(decoded[1] == .int(7))
        #expect(decoded[2] == .double(-1.25))
        #expect(decoded[3] == .string("7"))
        #expect(decoded[4] == .null)
    }

    @Test func jsonValueNestedInCodableStruct() throws {
        struct Envelope: Codable {
            var kind: String
            var payload: JSONValue
        }
        let envelope = Envelope(kind: "k", payload: ["b": 1, "a": [true, nil]])
        let value = try JSONValue(encoding: envelope)
        #expect(value["payload"]?.isEquivalent(to: ["a": [true, nil], "b": 1]) == true)
        let back = try value.decode(Envelope.self)
        #expect(back.kind == "k")
        #expect(back.payload.isEquivalent(to: envelope.payload))
    }

    @Test func nonFiniteDoubleEncodesAsNull() throws {
        let data = try JSONEncoder().encode(JSONValue.array([.double(.nan), 1]))
        #expect(try JSONValue.parse(data) == [nil, 1])
    }

    @Test func parsesDataDirectly() throws {
        let data = Data(#"{"b":1,"a":2}"#.utf8)
        #expect(try JSONValue.parse(data).objectValue?.keys == ["b", "a"])
    }
}
