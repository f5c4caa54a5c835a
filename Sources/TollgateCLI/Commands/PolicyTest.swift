import ArgumentParser
import Foundation
import TollgateJSON
import TollgatePolicy

struct PolicyTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the *_test.lua files next to the policies.",
        discussion: "Ends with the line 'N passed, N failed'; exits non-zero when any test fails."
    )

    @Argument(help: "Policy directory.")
    var directory = "policies"

    @Option(help: "Output: text, json or junit.")
    var format: OutputFormat = .text

    @Flag(help: "Report line coverage per policy.")
    var coverage = false

    @Option(help: "Only run test files whose path contains this text.")
    var filter: String?

    func run() throws {
        let report: PolicyTestReport
        do {
            report = try PolicyTestRunner(directory: directory).run(coverage: coverage, filter: filter)
        } catch {
            printError("tollgate policy test: \(error)")
            throw ExitCode(2)
        }
        switch format {
        case .text: printText(report)
        case .json: print(PolicyTestOutput.json(report).serialized(pretty: true))
        case .junit: print(PolicyTestOutput.junit(report))
        }
        if !report.succeeded { throw ExitCode(1) }
    }

    private func printText(_ report: PolicyTestReport) {
        let t = Terminal.standardOutput
        let width = report.cases.map { "\($0.file):\($0.line)".count }.max() ?? 0
        for c in report.cases {
            let tag: String =
                switch c.status {
                case .pass: t.green("PASS ")
                case .fail: t.red("FAIL ")
                case .error: t.red("ERROR")
                }
            print("\(tag) \(Terminal.pad("\(c.file):\(c.line)", width))  \(c.name)")
            if let message = c.message, c.status != .pass {
                for line in message.split(separator: "\n") { print("      \(t.dim(String(line)))") }
            }
        }
        if let coverage = report.coverage {
            print("")
            print(t.bold("coverage"))
            let w = coverage.map(\.file.count).max() ?? 0
            for c in coverage {
                let percent = String(format: "%5.1f%%", c.percent)
                let missed = c.missed.isEmpty ? "" : "  missed lines: " + c.missed.map(String.init).joined(separator: ", ")
                print("  \(Terminal.pad(c.file, w))  \(percent)  (\(c.lines.count - c.missed.count)/\(c.lines.count) lines)\(missed)")
            }
        }
        if report.cases.isEmpty { print("no tests found in \(directory) (test files are named *_test.lua)") }
        print("\(report.passed) passed, \(report.failed) failed")
    }
}

/// Machine forms of a test report.
enum PolicyTestOutput {
    static func json(_ report: PolicyTestReport) -> JSONValue {
        var o = JSONObject()
        o["passed"] = .int(Int64(report.passed))
        o["failed"] = .int(Int64(report.failed))
        o["tests"] = .array(
            report.cases.map { c in
                var t = JSONObject()
                t["file"] = .string(c.file)
                t["line"] = .int(Int64(c.line))
                t["name"] = .string(c.name)
                t["status"] = .string(c.status.rawValue)
                if let m = c.message { t["message"] = .string(m) }
                return .object(t)
            })
        o["policyProblems"] = .array(report.policyProblems.map(PolicyJSON.problem))
        if let coverage = report.coverage {
            o["coverage"] = .array(
                coverage.map { c in
                    [
                        "file": .string(c.file), "percent": .double(c.percent),
                        "lines": .array(c.lines.map { .int(Int64($0)) }),
                        "missed": .array(c.missed.map { .int(Int64($0)) }),
                    ]
                })
        }
        return .object(o)
    }

    static func junit(_ report: PolicyTestReport) -> String {
        var files: [String: [PolicyTestReport.Case]] = [:]
        var order: [String] = []
        for c in report.cases {
            if files[c.file] == nil { order.append(c.file) }
            files[c.file, default: []].append(c)
        }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"tollgate policy test\" tests=\"\(report.cases.count)\" failures=\"\(report.failed)\">\n"
        for file in order {
            let cases = files[file] ?? []
            let failures = cases.filter { $0.status == .fail }.count
            let errors = cases.filter { $0.status == .error }.count
            xml += "  <testsuite name=\"\(escape(file))\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"\(errors)\">\n"
            for c in cases {
                xml += "    <testcase classname=\"\(escape(file))\" name=\"\(escape(c.name))\" file=\"\(escape(file))\" line=\"\(c.line)\""
                switch c.status {
                case .pass:
                    xml += "/>\n"
                case .fail, .error:
                    let tag = c.status == .fail ? "failure" : "error"
                    let message = escape(c.message ?? "")
                    xml += ">\n      <\(tag) message=\"\(message)\">\(message)</\(tag)>\n    </testcase>\n"
                }
            }
            xml += "  </testsuite>\n"
        }
        xml += "</testsuites>"
        return xml
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }
}
