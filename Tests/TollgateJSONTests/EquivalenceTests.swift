import Testing
import TollgateJSON

@Suite("isEquivalent")
struct EquivalenceTests {
    @Test func ignoresKeyOrderRecursively() throws {
        let a = try parsed(#"{"a":1,"b":{"x":[1,{"p":1,"q":2}],"y":2}}"#)
        let b = try parsed(#"{"b":{"y":2,"x":[1,{"q":2,"p":1}]},"a":1}"#)
        #expect(a != b)
        #expect(a.isEquivalent(to: b))
        #expect(b.isEquivalent(to: a))
    }

    @Test func arrayOrderMatters() {
        let a: JSONValue = [1, 2]
        let b: JSONValue = [2, 1]
        #expect(!a.isEquivalent(to: b))
        #expect(!JSONValue.array([1]).isEquivalent(to: [1, 1]))
    }

    @Test func detectsValueAndKeyDifferences() {
        #expect(!JSONValue.object(["a": 1]).isEquivalent(to: ["a": 2]))
        #expect(!JSONValue.object(["a": 1]).isEquivalent(to: ["b": 1]))
        #expect(!JSONValue.object(["a": 1]).isEquivalent(to: ["a": 1, "b": 1]))
        #expect(!JSONValue.object(["a": 1, "b": 1]).isEquivalent(to: ["a": 1]))
        #expect(!JSONValue.object(["a": ["b": 1]]).isEquivalent(to: ["a": ["b": "1"]]))
    }

    @Test func numbersCompareByValue() {
        #expect(JSONValue.int(1).isEquivalent(to: .double(1.0)))
        #expect(JSONValue.double(1.0).isEquivalent(to: .int(1)))
        #expect(!JSONValue.int(1).isEquivalent(to: .double(1.5)))
        #expect(!JSONValue.int(.max).isEquivalent(to: .double(9_223_372_036_854_775_808.0)))
        #expect(JSONValue.double(-0.0).isEquivalent(to: .int(0)))
        #expect(JSONValue.int(1) != .double(1.0))
    }

    @Test func differentKindsAreNotEquivalent() {
        let values: [JSONValue] = [nil, false, 0, "0", [], [:]]
        for (i, a) in values.enumerated() {
            for (j, b) in values.enumerated() {
                #expect(a.isEquivalent(to: b) == (i == j), "\(a) vs \(b)")
            }
        }
    }
}
