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
