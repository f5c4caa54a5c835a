import Testing
import TollgateJSON

@Suite("Nesting depth")
struct DepthTests {
    static func nestedArrays(_ depth: Int) -> String {
        String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    }

    @Test func defaultLimitAllowsExactly512Levels() throws {
        #expect(JSONValue.defaultMaxDepth == 512)
        var value = try JSONValue.parse(Self.nestedArrays(512))
        var levels = 0
        while case .array(let elements) = value {
            levels += 1
            guard let first = elements.first else { break }
            value = first
        }
        #expect(levels == 512)

        let error = try #require(parseError(Self.nestedArrays(513)))
        #expect(error.offset == 512)
        #expect(error.column == 513)
        #expect(error.reason == "nesting depth exceeds the maximum of 512 nested arrays and objects")
    }

    @Test func objectsCountTowardsDepth() throws {
        let deepObjects = String(repeating: #"{"a":"#, count: 4) + "1" + String(repeating: "}", count: 4)
        #expect(try JSONValue.parse(deepObjects, maxDepth: 4)[["a", "a", "a", "a"]] == .int(1))
        let error = try #require(parseError(deepObjects, maxDepth: 3))
        #expect(error.offset == 15)
        #expect(error.reason == "nesting depth exceeds the maximum of 3 nested arrays and objects")
    }

    @Test func customLimit() throws {
        #expect(try JSONValue.parse("[[1]]", maxDepth: 2) == [[1]])
        #expect(parseError("[[1]]", maxDepth: 1)?.column == 2)
        #expect(try JSONValue.parse("7", maxDepth: 0) == 7)
        #expect(parseError("[]", maxDepth: 0)?.column == 1)
        #expect(try JSONValue.parse(Self.nestedArrays(2_000), maxDepth: 2_000).arrayValue?.count == 1)
    }

    @Test func hugeNestingFailsWithoutStackOverflow() throws {
        let opens = String(repeating: "[", count: 1_000_000)
        #expect(parseError(opens)?.reason == "nesting depth exceeds the maximum of 512 nested arrays and objects")
        // Even with no limit the parser keeps its own stack and reports the missing end.
        let unlimited = try #require(parseError(opens, maxDepth: .max))
        #expect(unlimited.offset == 1_000_000)
        #expect(unlimited.reason == "unexpected end of input, expected a JSON value")
    }
}
