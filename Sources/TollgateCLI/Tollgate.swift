import ArgumentParser

@main
struct Tollgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tollgate",
        abstract: "Policy-gated lifecycle engine for data products.",
        subcommands: [RunCommand.self, ServeCommand.self, PolicyCommand.self, TaskCommand.self, GitLabCommand.self, DecisionsCommand.self, DatabaseCommand.self]
    )
}

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Write, test and measure Lua policies.",
        subcommands: [PolicyTest.self, PolicyEval.self, PolicyLint.self, PolicyBench.self, PolicyShadow.self]
    )
}
