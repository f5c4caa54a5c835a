import ArgumentParser
import TollgateJSON
import TollgatePolicy

struct PolicyLint: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Load every policy and report broken ones, duplicate names and unknown phases."
    )

    @Argument(help: "Policy directory.")
    var directory = "policies"

    @Option(help: "Output: text or json.")
    var format: DataFormat = .text

    func run() throws {
        let set: PolicySet
        do {
            set = try PolicySet.load(directory: directory)
        } catch {
            printError("tollgate policy lint: \(error)")
            throw ExitCode(2)
        }
        let problems = set.problems
        if format == .json {
            let o: JSONValue = [
                "policies": .array(
                    set.files.compactMap { file in
                        file.policy.map { p in
                            [
                                "name": .string(p.name), "file": .string(file.path), "revision": .string(file.revision),
                                "blocking": .bool(p.blocking), "phases": .array(p.phases.map { .string($0.rawValue) }),
                            ]
                        }
                    }),
                "problems": .array(problems.map(PolicyJSON.problem)),
                "warnings": .array(set.warnings.map(PolicyJSON.problem)),
            ]
            print(o.serialized(pretty: true))
        } else {
            let t = Terminal.standardOutput
            for file in set.files {
                if let p = file.policy {
                    let kind = p.blocking ? "blocking" : "non-blocking"
                    print("\(t.green("ok    ")) \(file.path)  \(p.name)  (\(kind); \(p.phases.map(\.rawValue).joined(separator: ", ")))")
                }
            }
            for warning in set.warnings {
                print("\(t.yellow("WARN  ")) \(warning.file):\(warning.line): \(warning.kind.rawValue): \(warning.message)")
            }
            for problem in problems {
                print("\(t.red("BROKEN")) \(problem.file):\(problem.line): \(problem.kind.rawValue): \(problem.message)")
            }
            print("\(set.policies.count) policies loaded, \(problems.count) broken, \(set.warnings.count) warnings")
        }
        if !problems.isEmpty { throw ExitCode(1) }
    }
}
