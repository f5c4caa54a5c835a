import ArgumentParser
import Foundation
import TollgateJSON
import TollgatePolicy

struct PolicyEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a phase's policies on JSON inputs and show the verdicts.",
        discussion: """
            Each input is a JSON file holding the policy input of one decision. Without --phase, the \
            phase is the input's "event" field. Exits 0 when every verdict is pass or warn, 1 when any \
            is block.
            """
    )

    @Option(help: "Phase: ACTIVITY_STAGE_TRANSITION, TASK_EXECUTION_RESULT or ACTIVITY_EXECUTION_RESULT.")
    var phase: String?

    @Option(name: .long, help: "An input file (repeatable).")
    var input: [String] = []

    @Argument(help: "More input files.")
    var inputs: [String] = []

    @Option(help: "Policy directory.")
    var policies = "policies"

    @Option(help: "Output: text or json.")
    var format: DataFormat = .text

    func run() throws {
        let paths = input + inputs
        guard !paths.isEmpty else {
            printError("tollgate policy eval: give an input file: --input FILE")
            throw ExitCode(2)
        }
        let set: PolicySet
        do {
            set = try PolicySet.load(directory: policies)
        } catch {
            printError("tollgate policy eval: \(error)")
            throw ExitCode(2)
        }
        var blocked = false
        var decisions: [JSONValue] = []
        let t = Terminal.standardOutput
        if format == .text {
            for problem in set.problems { print("\(t.red("BROKEN")) \(problem)") }
        }
        for path in paths {
            let value: JSONValue
            let phase: PolicyPhase
            do {
                value = try InputFile.read(path)
                phase = try InputFile.phase(option: self.phase, input: value, path: path)
            } catch {
                printError("tollgate policy eval: \(error)")
                throw ExitCode(2)
            }
            let decision = set.evaluate(phase, input: PolicyDocument(value))
            if decision.verdict == .block { blocked = true }
            if format == .json {
                decisions.append(PolicyJSON.decision(decision, input: path))
            } else {
                printText(decision, path: path, terminal: t)
            }
        }
        if format == .json {
            print(JSONValue.array(decisions).serialized(pretty: true))
        }
        if blocked { throw ExitCode(1) }
    }

    private func printText(_ decision: PhaseDecision, path: String, terminal t: Terminal) {
        let verdict: String =
            switch decision.verdict {
            case .pass: t.green("PASS")
            case .warn: t.yellow("WARN")
            case .block: t.red("BLOCK")
            }
        print("\(t.bold(path))  \(decision.phase.rawValue)  verdict: \(verdict)")
        if decision.results.isEmpty { print("  (no policy runs at this phase)") }
        let width = decision.results.map(\.policy.count).max() ?? 0
        for r in decision.results {
            let effect: String =
                switch (r.outcome, r.effect) {
                case (_, .block): t.red("block")
                case (_, .warn): t.yellow("warn ")
                case (.skipped, _): t.dim("skip ")
                default: t.green("ok   ")
                }
            let kind = r.blocking ? "blocking    " : "non-blocking"
            let micros = String(format: "%.1f µs", Double(r.durationNanoseconds) / 1000)
            print("  \(effect)  \(Terminal.pad(r.policy, width))  \(Terminal.pad(r.outcome.rawValue, 7))  \(t.dim(kind))  \(t.dim(micros))")
            for reason in r.reasons { print("         \(reason)") }
        }
        print("")
    }
}
