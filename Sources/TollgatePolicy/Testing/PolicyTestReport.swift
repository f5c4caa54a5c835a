/// Results of running policy tests.
public struct PolicyTestReport: Sendable {
    /// One test.
    public struct Case: Sendable {
        /// How a test ended.
        public enum Status: String, Sendable, Codable {
            case pass = "PASS"
            case fail = "FAIL"
            case error = "ERROR"
        }

        /// The test file.
        public var file: String
        /// Line of the `test(...)` call (or of the error, for a file that failed to load).
        public var line: Int
        /// The test's name.
        public var name: String
        /// How it ended.
        public var status: Status
        /// For failures and errors: what went wrong, starting with file:line.
        public var message: String?
    }

    /// Line coverage of one policy file.
    public struct Coverage: Sendable {
        /// The policy file.
        public var file: String
        /// Lines holding code.
        public var lines: [Int]
        /// Lines that ran at least once.
        public var hits: [Int]

        /// Lines holding code that never ran.
        public var missed: [Int] {
            let hit = Set(hits)
            return lines.filter { !hit.contains($0) }
        }

        /// Covered share of lines, 0...100.
        public var percent: Double {
            lines.isEmpty ? 100 : Double(lines.count - missed.count) * 100 / Double(lines.count)
        }
    }

    /// Every test, in file and declaration order.
    public var cases: [Case] = []
    /// Problems of policy files found while loading the set.
    public var policyProblems: [PolicyProblem] = []
    /// Coverage per policy file, when requested.
    public var coverage: [Coverage]?

    /// Tests that passed.
    public var passed: Int { cases.filter { $0.status == .pass }.count }
    /// Tests that failed or raised errors.
    public var failed: Int { cases.count - passed }
    /// Whether every test passed.
    public var succeeded: Bool { failed == 0 && !cases.isEmpty }
}
