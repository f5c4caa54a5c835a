import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TollgateJSON
import TollgateTestSupport

/// Where the servers of one run keep their state.
enum Storage {
    case sqlite
    /// One PostgreSQL database; each run uses a schema of its own.
    case postgres(url: String, schema: String, postmaster: Int32?)

    var name: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }
}

/// What one run measured.
struct RunFigures {
    var label: String
    var processed: Int
    var submitted: Int
    var seconds: Double
    var submitSeconds: Double
    /// Request latencies in milliseconds, sorted.
    var latencies: [Double]
    /// CPU seconds of every `tollgate serve` process, of PostgreSQL, and of this process.
    var tollgateCPU: Double
    var postgresCPU: Double?
    var ownCPU: Double
    /// Decisions appended during the run.
    var decisions: Int64
    var idleRSS: Int
    var idleAnonymous: Int
    var loadRSS: Int

    var activitiesPerSecond: Double { Double(processed) / seconds }
    var p99: Double { latencies[latencies.count * 99 / 100] }
    var median: Double { latencies[latencies.count / 2] }
    /// Milliseconds of CPU per complete activity.
    func perActivity(_ cpu: Double) -> Double { cpu * 1000 / Double(max(processed, 1)) }
}

/// One load run: `replicas` servers started over `storage`, `concurrency` clients creating and
/// starting `activities` activities spread over every replica, each activity's one task called
/// back at once by the fake executor; the clock stops when none is left PLANNED or PROCESSING.
struct LoadRun {
    let binary: String
    /// Holds `descriptors/` (one descriptor per activity) and a folder per run.
    let work: String
    let executorPort: Int
    let activities: Int
    let concurrency: Int
    let client: HTTPClient
    /// Connections of each replica's PostgreSQL pool.
    var pool = 8
    /// Where the servers send their spans (`telemetry.traces.endpoint`); nil leaves traces off.
    var traces: String?

    func run(label: String, storage: Storage, replicas: Int) async throws -> RunFigures {
        let folder = "\(work)/\(label.replacingOccurrences(of: " ", with: "-"))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let ports = (0..<replicas).map { _ in FreePort.next() }
        var servers: [Process] = []
        defer {
            for server in servers where server.isRunning { server.terminate() }
            for server in servers { server.waitUntilExit() }
        }
        for (index, port) in ports.enumerated() {
            servers.append(try start(replica: index, port: port, storage: storage, folder: folder))
        }
        for port in ports { try await waitUntilUp(port: port) }
        try await Task.sleep(for: .milliseconds(500))
        let pids = servers.map(\.processIdentifier)
        let idleRSS = pids.map { rssKilobytes(pid: $0) }.max() ?? 0
        let idleAnonymous = pids.map { rssKilobytes(pid: $0, field: "RssAnon") }.max() ?? 0
        let decisionsBefore = try await headSequence(port: ports[0])

        var postmaster: Int32?
        if case .postgres(_, _, let pid) = storage { postmaster = pid }
        let tollgateBefore = pids.map { cpuSeconds(pid: $0) }.reduce(0, +)
        let postgresBefore = postmaster.map { postgresCPUSeconds(postmaster: $0) }
        let ownBefore = cpuSeconds(pid: getpid())
        let started = ContinuousClock.now
        let latencies = await withTaskGroup(of: [Double].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var own: [Double] = []
                    var i = worker
                    while i < activities {
                        // Clients spread over the replicas: request i goes to replica i mod N.
                        let port = ports[i % ports.count]
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/pp/devops/activities?startAfterCreation=true")
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(
                            ByteBuffer(string: #"{"dataProductId":"urn:org.opendatamesh:dataproducts:load","dataProductVersion":"1.0.\#(i)","stage":"dev"}"#))
                        let t0 = ContinuousClock.now
                        if let response = try? await client.execute(request, timeout: .seconds(30)) {
                            _ = try? await response.body.collect(upTo: 1 << 20)
                        }
                        let elapsed = seconds(ContinuousClock.now - t0) * 1000
                        own.append(elapsed)
                        i += concurrency
                    }
                    return own
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        let submitted = ContinuousClock.now
        for _ in 0..<6000 {
            if try await count(status: "PROCESSING", port: ports[0]) == 0, try await count(status: "PLANNED", port: ports[0]) == 0 { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        let finished = ContinuousClock.now
        let tollgateCPU = pids.map { cpuSeconds(pid: $0) }.reduce(0, +) - tollgateBefore
        let postgresCPU = postmaster.flatMap { pid in postgresBefore.map { postgresCPUSeconds(postmaster: pid) - $0 } }
        let ownCPU = cpuSeconds(pid: getpid()) - ownBefore
        let loadRSS = pids.map { rssKilobytes(pid: $0) }.max() ?? 0
        let processed = try await count(status: "PROCESSED", port: ports[0])
        let decisions = try await headSequence(port: ports[0]) - decisionsBefore
        var sorted = latencies.sorted()
        if sorted.isEmpty { sorted = [0] }
        return RunFigures(
            label: label, processed: processed, submitted: activities, seconds: seconds(finished - started),
            submitSeconds: seconds(submitted - started), latencies: sorted, tollgateCPU: tollgateCPU, postgresCPU: postgresCPU,
            ownCPU: ownCPU, decisions: decisions, idleRSS: idleRSS, idleAnonymous: idleAnonymous, loadRSS: loadRSS)
    }

    /// Starts one `tollgate serve` with a configuration of its own.
    private func start(replica: Int, port: Int, storage: Storage, folder: String) throws -> Process {
        let database: String
        var environment = ProcessInfo.processInfo.environment
        switch storage {
        case .sqlite:
            database = "{ path: \(folder)/tollgate.db }"
        case .postgres(let url, let schema, _):
            database = "{ kind: postgres, url: { env: TOLLGATE_DATABASE_URL }, pool: \(pool), schema: \(schema) }"
            environment["TOLLGATE_DATABASE_URL"] = url
        }
        let config = """
            server: { host: 127.0.0.1, port: \(port), replicaName: replica-\(replica + 1) }
            database: \(database)
            policies: { directory: \(FileManager.default.currentDirectoryPath)/policies }
            registry: { kind: directory, path: \(work)/descriptors }
            executors:
              bench: { kind: odm, address: "http://127.0.0.1:\(executorPort)" }
            """ + (traces.map { "\ntelemetry: { traces: { endpoint: \"\($0)\" } }\n" } ?? "")
        let path = "\(folder)/replica-\(replica + 1).yaml"
        try Data(config.utf8).write(to: URL(fileURLWithPath: path))
        let server = Process()
        server.executableURL = URL(fileURLWithPath: binary)
        server.arguments = ["serve", "--config", path]
        server.environment = environment
        // The server's log, kept with the run's folder (`--keep`).
        let log = "\(folder)/replica-\(replica + 1).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle(forWritingAtPath: log) ?? FileHandle.nullDevice
        try server.run()
        return server
    }

    private func waitUntilUp(port: Int) async throws {
        for _ in 0..<1500 {
            if (try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(1)))?.status == .ok { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Unready(port: port)
    }

    struct Unready: Error, CustomStringConvertible {
        let port: Int
        var description: String { "the server on port \(port) did not become healthy within 30 s (its log is in the run's folder with --keep)" }
    }

    /// How many activities have `status` (these lists are short while the run goes on).
    private func count(status: String, port: Int) async throws -> Int {
        let response = try await client.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/pp/devops/activities?status=\(status)"), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 256 << 20)
        return (try? JSONValue.parse(Array(body.readableBytesView)))?.arrayValue?.count ?? -1
    }

    /// The decision log's head sequence, from `/health`.
    private func headSequence(port: Int) async throws -> Int64 {
        let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(10))
        let body = try JSONValue.parse(Array((try await response.body.collect(upTo: 1 << 20)).readableBytesView))
        return body["components"]?["database"]?["chainHeadSequence"]?.intValue ?? 0
    }
}
