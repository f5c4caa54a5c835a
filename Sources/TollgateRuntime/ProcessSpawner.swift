import Foundation

/// Starts a process that outlives Tollgate and records its own pid and exit status.
enum ProcessSpawner {
    /// Runs `command` through `/bin/sh` in a new session, with stdin from `folder/stdin.json`,
    /// output to `folder/stdout` and `folder/stderr`; the shell writes `folder/pid` first and
    /// `folder/exit` (atomically, by rename) when the command ends.
    static func spawnDetached(
        command: String, arguments: [String], environment: [String: String], workingDirectory: String, folder: String
    ) throws {
        let script = """
            echo $$ > "$TG_FOLDER/pid.tmp" && mv "$TG_FOLDER/pid.tmp" "$TG_FOLDER/pid"
            "$@" < "$TG_FOLDER/stdin.json" > "$TG_FOLDER/stdout" 2> "$TG_FOLDER/stderr"
            echo $? > "$TG_FOLDER/exit.tmp" && mv "$TG_FOLDER/exit.tmp" "$TG_FOLDER/exit"
            """
        var env = environment
        env["TG_FOLDER"] = folder
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = ["/bin/sh", "-c", script, "tollgate-task", command] + arguments
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }
}
