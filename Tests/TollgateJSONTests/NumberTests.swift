import Testing
import TollgateJSON

@Suite("Numbers")
struct NumberTests {
    @Test func integersFittingInt64AreInts() throws {
        #expect(try parsed("0") == .int(0))
        #expect(try parsed("123456789012345678") == .int(123_456_789_012_345_678))
        #expect(try parsed("1234567890123456789") == .int(1_234_567_890_123_456_789))
        #expect(try parsed("-1234567890123456789") == .int(-1_234_567_890_123_456_789))
        #expect(try parsed("9223372036854775807") == .int(.max))
        #expect(try parsed("-9223372036854775808") == .int(.min))
    }

    @Test func integersBeyondInt64BecomeDoubles() throws {
        #expect(try parsed("9223372036854775808") == .double(9_223_372_036_854_775_808.0))
        #expect(try parsed("-9223372036854775809") == .double(-9_223_372_036_854_775_809.0))
        #expect(try parsed("100000000000000000000") == .double(1e20))
    }

    @Test func negativeZeroKeepsItsSign() throws {
        for text in ["-0", "-0.0", "-0e0"] {
            let value = try parsed(text)
            guard case .double(let number) = value else {
                Issue.record("\(text) parsed as \(value)")
                continue
            }
            #expect(number == 0 && number.sign == .minus, "\(text)")
        }
        #expect(try parsed("0") == .int(0))
        #expect(try parsed("-0").serialized() == "-0.0")
    }

    @Test func fractionsAndExponentsAreDoubles() throws {
        #expect(try parsed("1.5") == .double(1.5))
        #expect(try parsed("1.0") == .double(1.0))
        #expect(try parsed("1e2") == .double(100))
        #expect(try parsed("1E+2") == .double(100))
        #expect(try parsed("25e-2") == .double(0.25))
        #expect(try parsed("-1.25e1") == .double(-12.5))
        #expect(try parsed("0.1") == .double(0.1))
        #expect(try parsed("2.2250738585072014e-308") == .double(2.2250738585072014e-308))
        #expect(try parsed("5e-324") == .double(.leastNonzeroMagnitude))
        #expect(try parsed("1.7976931348623157e308") == .double(.greatestFiniteMagnitude))
    }

    @Test func underflowBecomesZero() throws {
        #expect(try parsed("1e-400") == .double(0))
    }

    @Test(arguments: ["1e400", "-1e400", "1.8e308", "1" + String(repeating: "0", count: 400)])
    func overflowToInfinityIsRejected(text: String) throws {
        let error = parseError(text)
        #expect(error?.offset == 0)
        #expect(error?.reason.contains("is out of range") == true, "\(String(describing: error))")
    }

    @Test func overflowMessageAbbreviatesLongNumbers() {
        let text = "1" + String(repeating: "0", count: 400)
        let reason = parseError(text)?.reason ?? ""
        #expect(reason.hasPrefix("number '1000000000"))
        #expect(reason.utf8.count < 200)
    }

    @Test func numbersEndAtDelimiters() throws {
        #expect(try parsed("[1,-2,3.5e1,0]") == [1, -2, 35.0, 0])
        #expect(try parsed(#"{"a":-0.5}"#)["a"] == .double(-0.5))
    }
}
