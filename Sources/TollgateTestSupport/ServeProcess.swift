public import Foundation

/// `tollgate serve` as its own process, the way an operator runs it: a configuration file in a
/// temporary directory, the built executable, standard error where the test wants it.
public enum ServeProcess {
    /// Writes `tollgate.yaml` in `directory`: the server on `port`, the database in the directory,
    /// the repository's policies, descriptors from `directory/descriptors`, then `rest` (YAML lines:
    /// executors, telemetry, …). Returns its path.
    public static func configuration(in directory: TemporaryDirectory, port: Int, server: String = "", _ rest: String) throws -> String {
        try directory.write(
            "tollgate.yaml",
            """
            server: { host: 127.0.0.1, port: \(port)\(server.isEmpty ? "" : ", " + server) }
            database: { path: \(directory.url("tollgate.db")) }
            policies: { directory: \(RepositoryPaths.policies) }
            registry: { kind: directory, path: \(directory.url("descriptors")) }
            \(rest)
            """)
    }

    /// Copies a descriptor of the repository (`examples/…`) into `directory/descriptors`.
    public static func useDescriptor(_ path: String, in directory: TemporaryDirectory) throws {
        let text = FileManager.default.contents(atPath: RepositoryPaths.path(path)) ?? Data()
        try directory.write("descriptors/hello.json", String(decoding: text, as: UTF8.self))
    }

    /// Starts `tollgate serve --config config` with `environment` added to this process's and its
    /// standard error written to `standardError` (a path; discarded when nil).
    public static func start(config: String, environment: [String: String] = [:], standardError: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TollgateCommand.executable)
        process.arguments = ["serve", "--config", config]
        process.currentDirectoryURL = URL(fileURLWithPath: RepositoryPaths.root)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        if let standardError {
            _ = FileManager.default.createFile(atPath: standardError, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: standardError) ?? FileHandle.nullDevice
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        return process
    }
}
