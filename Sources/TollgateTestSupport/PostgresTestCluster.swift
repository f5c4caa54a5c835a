import Foundation
import Synchronization

/// The PostgreSQL server the tests use: the one `scripts/test` started (its address in
/// `TOLLGATE_TEST_POSTGRES_URL`), or else a throwaway cluster this test process starts itself with
/// `scripts/postgres-cluster` and stops when it exits. Each test takes a schema of its own.
public enum PostgresTestCluster {
    /// The server's address, or why there is none.
    public static let address: Result<String, ClusterUnavailable> = {
        if let url = ProcessInfo.processInfo.environment["TOLLGATE_TEST_POSTGRES_URL"], !url.isEmpty { return .success(url) }
        do {
            let folder = try TemporaryDirectory(prefix: "tollgate-postgres")
            // The postgres user must be able to enter the folder (the cluster is its when run as root).
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
            let cluster = folder.url("cluster")
            let started = try TollgateCommand.runProgram(RepositoryPaths.path("scripts/postgres-cluster"), ["start", cluster], timeout: .seconds(120))
            guard started.status == 0 else { return .failure(ClusterUnavailable(description: started.standardError)) }
            ownCluster.withLock { $0 = cluster }
            folderKept.withLock { $0 = folder }
            atexit {
                guard let cluster = PostgresTestCluster.ownCluster.withLock({ $0 }) else { return }
                _ = try? TollgateCommand.runProgram(RepositoryPaths.path("scripts/postgres-cluster"), ["stop", cluster], timeout: .seconds(60))
                PostgresTestCluster.folderKept.withLock { $0 = nil }
            }
            return .success(started.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            return .failure(ClusterUnavailable(description: "\(error)"))
        }
    }()

    /// The cluster this process started, stopped at its exit, and the folder it lives in.
    static let ownCluster = Mutex<String?>(nil)
    static let folderKept = Mutex<TemporaryDirectory?>(nil)

    /// No PostgreSQL server could be had.
    public struct ClusterUnavailable: Error, CustomStringConvertible {
        public var description: String
    }

    /// The server's address; throws when there is none.
    public static func url() throws -> String { try address.get() }

    /// A schema name no other test uses.
    public static func freshSchema(_ purpose: String = "test") -> String {
        "t_\(purpose.lowercased().filter { $0.isLetter || $0.isNumber })_\(UInt32.random(in: 0...UInt32.max))"
    }
}

/// A PostgreSQL cluster of one test's own, which it may stop and start again (a database restart
/// while replicas run), removed with its folder when the test is done.
public final class PostgresPrivateCluster: Sendable {
    let folder: TemporaryDirectory
    let cluster: String
    /// The cluster's address.
    public let url: String

    public init() throws {
        folder = try TemporaryDirectory(prefix: "tollgate-postgres")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        cluster = folder.url("cluster")
        let started = try Self.script(["start", cluster])
        url = started.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server (fast shutdown: sessions are ended, nothing is lost).
    public func stop() throws { _ = try Self.script(["stop", cluster]) }

    /// Starts the stopped server again, on the same port.
    public func resume() throws { _ = try Self.script(["resume", cluster]) }

    deinit { _ = try? Self.script(["stop", cluster]) }

    static func script(_ arguments: [String]) throws -> String {
        let run = try TollgateCommand.runProgram(RepositoryPaths.path("scripts/postgres-cluster"), arguments, timeout: .seconds(120))
        guard run.status == 0 else { throw PostgresTestCluster.ClusterUnavailable(description: run.standardError) }
        return run.standardOutput
    }
}
