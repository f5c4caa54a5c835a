import Foundation
import Testing
import TollgateJSON
import TollgateSQLite
import TollgateTestSupport

/// `tollgate decisions` and `tollgate policy shadow` on the log of a real walk-through.
@Suite("tollgate decisions")
struct DecisionCommandTests {
    /// A database holding the walk-through (dev, then test) run by `tollgate run`.
    func walkedDatabase() throws -> (TemporaryDirectory, String) {
        let directory = try TemporaryDirectory()
        let database = directory.url("t.db")
        let run = try TollgateCommand.run([
            "run", "examples/walkthrough/descriptor-local.json", "--stage", "dev", "--stage", "test", "--database", database,
            "--state-directory", directory.url("state"), "--quiet",
        ])
        #expect(run.status == 0, "\(run.standardError)")
        return (directory, database)
    }

    @Test func listExplainExportVerifyAndReplay() throws {
        let (directory, database) = try walkedDatabase()
        defer { withExtendedLifetime(directory) {} }
        let list = try TollgateCommand.run(["decisions", "list", "--database", database, "--phase", "TASK_EXECUTION_RESULT", "--format", "json"])
        #expect(list.status == 0, "\(list.standardError)")
        let results = try JSONValue.parse(list.standardOutput).arrayValue ?? []
        #expect(results.count == 3)
        #expect(results.allSatisfy { $0["phase"] == "TASK_EXECUTION_RESULT" })
        let table = try TollgateCommand.run(["decisions", "list", "--database", database, "--stage", "test"])
        #expect(table.standardOutput.hasSuffix("3 decision(s)\n"), "\(table.standardOutput)")
        let csv = try TollgateCommand.run(["decisions", "list", "--database", database, "--format", "csv", "--limit", "2"])
        #expect(csv.standardOutput.split(separator: "\n").count == 3)

        let explain = try TollgateCommand.run(["decisions", "explain", "2", "--database", database])
        #expect(explain.status == 0)
        #expect(explain.standardOutput.hasPrefix("Decision 2: PASS at the task result of urn:org.opendatamesh:dataproducts:hello 1.0.0, stage dev"))
        #expect(explain.standardOutput.contains("\"198.168.20.120\""), "the input is shown")
        #expect(try TollgateCommand.run(["decisions", "explain", "99", "--database", database]).status == 1)

        let export = try TollgateCommand.run(["decisions", "export", "--database", database])
        let lines = export.standardOutput.split(separator: "\n")
        #expect(lines.count == 8)
        #expect(try JSONValue.parse(String(lines.last ?? ""))["export"]?["chainSequence"] == 7)

        let verify = try TollgateCommand.run(["decisions", "verify", "--database", database])
        #expect(verify.status == 0, "\(verify.standardOutput)")
        #expect(verify.standardOutput.contains("chain:        intact"))

        let replay = try TollgateCommand.run(["decisions", "replay", "--database", database])
        #expect(replay.status == 0, "\(replay.standardOutput)\(replay.standardError)")
        #expect(replay.standardOutput.hasSuffix("7 decision(s) replayed, 7 the same, 0 different\n"))
    }

    /// Long work shows a progress line on a terminal (here a pseudo-terminal from `script`) and
    /// nothing in a pipe.
    @Test func verifyExportAndPruneShowProgressOnATerminalOnly() throws {
        let (directory, database) = try walkedDatabase()
        defer { withExtendedLifetime(directory) {} }
        let piped = try TollgateCommand.run(["decisions", "verify", "--database", database])
        #expect(piped.status == 0)
        #expect(piped.standardError.isEmpty, "quiet when not a terminal: \(piped.standardError)")
        #expect(try TollgateCommand.run(["decisions", "export", "--database", database]).standardError.isEmpty)

        // Pruning everything last, so the others have a log to read.
        for (command, unit) in [("verify", "decisions"), ("export", "decisions"), ("prune", "decisions")] {
            // `script` runs the command on a pseudo-terminal and copies what it wrote to ours.
            let arguments = command == "prune" ? "prune --before 2100-01-01T00:00:00Z" : command
            let line = "\(TollgateCommand.executable) decisions \(arguments) --database \(database) > /dev/null"
            let terminal = try TollgateCommand.runProgram("/usr/bin/script", ["-qfec", line, "/dev/null"])
            #expect(terminal.status == 0, "\(terminal.standardOutput)")
            let erase = "\r\u{1B}[2K"
            #expect(terminal.standardOutput.contains("\(erase)\(command): "), "a progress line: \(terminal.standardOutput.debugDescription)")
            #expect(terminal.standardOutput.contains(" \(unit) · "), "with the rate: \(terminal.standardOutput.debugDescription)")
            #expect(terminal.standardOutput.hasSuffix(erase), "erased at the end: \(terminal.standardOutput.debugDescription)")
        }
    }

    @Test func verifyFailsOnATamperedLogNamingWhere() throws {
        let (directory, database) = try walkedDatabase()
        defer { withExtendedLifetime(directory) {} }
        let db = try SQLiteConnection(path: database)
        try db.execute("DROP TRIGGER decisions_are_append_only_update; UPDATE decisions SET verdict = 'block' WHERE seq = 3")
        let verify = try TollgateCommand.run(["decisions", "verify", "--database", database])
        #expect(verify.status == 1)
        #expect(verify.standardOutput.contains("chain:        BROKEN at decision 3"), "\(verify.standardOutput)")
        let replay = try TollgateCommand.run(["decisions", "replay", "3", "--database", database])
        #expect(replay.status == 1)
        #expect(replay.standardOutput.contains("decision 3 (TASK_EXECUTION_RESULT, urn:org.opendatamesh:dataproducts:hello dev): verdict block -> pass"))
    }

    @Test func shadowShowsWhichPastVerdictsACandidateSetWouldChange() throws {
        let (directory, database) = try walkedDatabase()
        let candidate = directory.url("candidate")
        try FileManager.default.copyItem(atPath: RepositoryPaths.policies, toPath: candidate)
        try directory.write(
            "candidate/no_local_results.lua",
            """
            return {
              name = "no-unreviewed-vms",
              description = "A VM must carry a review ticket",
              phases = { "TASK_EXECUTION_RESULT" },
              blocking = true,
              evaluate = function(input)
                local vm = input.result.results and input.result.results.vm
                if vm ~= nil and vm.ticket == nil then return deny("VM " .. vm.name .. " has no review ticket") end
                return allow()
              end,
            }
            """)
        let shadow = try TollgateCommand.run(["policy", "shadow", "--database", database, "--policies", candidate])
        #expect(shadow.status == 0, "\(shadow.standardError)")
        #expect(shadow.standardOutput.contains("decision 2 (TASK_EXECUTION_RESULT, urn:org.opendatamesh:dataproducts:hello 1.0.0 dev): pass -> block"), "\(shadow.standardOutput)")
        #expect(shadow.standardOutput.contains("no-unreviewed-vms: new, deny/block"))
        #expect(shadow.standardOutput.hasSuffix("7 decision(s) evaluated with \(candidate): 1 verdict(s) would change\n"))
        let same = try TollgateCommand.run(["policy", "shadow", "--database", database, "--policies", RepositoryPaths.policies])
        #expect(same.standardOutput.hasSuffix("0 verdict(s) would change\n"), "\(same.standardOutput)")
    }

    @Test func pruneUnderAHoldIsRefusedAndAfterItTheLogStillVerifies() throws {
        let (directory, database) = try walkedDatabase()
        defer { withExtendedLifetime(directory) {} }
        let hold = try TollgateCommand.run(["decisions", "hold", "audit-2026", "--reason", "annual audit", "--database", database])
        #expect(hold.status == 0, "\(hold.standardError)")
        let later = "2999-01-01T00:00:00Z"
        let refused = try TollgateCommand.run(["decisions", "prune", "--before", later, "--database", database])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("audit-2026 (annual audit)"))
        #expect(try TollgateCommand.run(["decisions", "hold", "audit-2026", "--release", "--database", database]).status == 0)
        let pruned = try TollgateCommand.run(["decisions", "prune", "--before", later, "--database", database])
        #expect(pruned.status == 0, "\(pruned.standardError)")
        #expect(pruned.standardOutput.hasPrefix("pruned 7 decision(s) through 7"))
        let verify = try TollgateCommand.run(["decisions", "verify", "--database", database])
        #expect(verify.status == 0, "\(verify.standardOutput)")
    }
}
