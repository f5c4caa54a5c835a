import Testing
import TollgateJSON
import TollgateTestSupport

@Suite("Round trips")
struct RoundTripTests {
    static let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "é", "中", "😀", "\u{7F}", "\u{2028}"]

    static func randomString(_ rng: inout SplitMix64) -> String {
        String((0..<Int.random(in: 0...8, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
    }

    static func randomValue(_ rng: inout SplitMix64, depth: Int) -> JSONValue {
        let kind = depth > 4 ? Int.random(in: 0..<5, using: &rng) : Int.random(in: 0..<7, using: &rng)
        switch kind {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int(Int64.random(in: .min ... .max, using: &rng) >> Int64.random(in: 0..<64, using: &rng))
        case 3:
            let bits = UInt64.random(in: 0 ... .max, using: &rng)
            let number = Double(bitPattern: bits)
            return .double(number.isFinite ? number : Double.random(in: -1e6...1e6, using: &rng))
        case 4: return .string(randomString(&rng))
        case 5:
            return .array((0..<Int.random(in: 0...5, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0...12, using: &rng) {
                object[randomString(&rng)] = randomValue(&rng, depth: depth + 1)
            }
            return .object(object)
        }
    }

    @Test func randomValuesSurviveSerializeAndParse() throws {
        var rng = SplitMix64(state: 0x70_11_6A_7E)
        for iteration in 0..<500 {
            let value = Self.randomValue(&rng, depth: 0)
            let compact = value.serialized()
            let reparsed = try JSONValue.parse(compact)
            #expect(reparsed == value, "iteration \(iteration): \(compact)")
            #expect(reparsed.serialized() == compact)
            #expect(try JSONValue.parse(value.serialized(pretty: true)) == value)
            let sorted = try JSONValue.parse(value.serializedBytes(sortedKeys: true))
            #expect(sorted.isEquivalent(to: value))
        }
    }

    @Test func textRoundTripIsExactForCanonicalInput() throws {
        let texts = [
            #"{"b":[1,-2,3.25,1e+20,-0.0],"a":{"nested":{"deep":[{}]}},"s":"line\nbreak \"quoted\" é"}"#,
            #"[null,true,false,"",[],{},0,9223372036854775807,-9223372036854775808]"#,
            #""just a string""#,
        ]
        for text in texts {
            #expect(try JSONValue.parse(text).serialized() == text)
        }
    }

    @Test func prettyOutputReparsesToSameValue() throws {
        let value = try parsed(#"{"k":[1,{"x":"y"},[]],"e":{}}"#)
        let pretty = value.serialized(pretty: true)
        #expect(pretty.contains("\n    {\n      \"x\": \"y\"\n    },"))
        #expect(try JSONValue.parse(pretty) == value)
    }
}
