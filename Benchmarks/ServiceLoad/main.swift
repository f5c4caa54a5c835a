// Load on `tollgate serve` over loopback: activities created and started through the ODM API,
// each with one task whose fake ODM executor calls back at once, the three gates on (the shipped
// policies).
//
// Without --postgres: one server on SQLite; complete activities per second, request latency,
// CPU and RSS against the service's targets.
// With --postgres URL --postgres-data DIR: the scale-out comparison in one run, side by side:
// SQLite with one process, then PostgreSQL with 1, 2 and 3 replicas (clients spread over all of
// them), with the CPU per activity of Tollgate and of PostgreSQL, the decision chain's append rate,
// and from the measured costs a model of what three machines would carry.
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Synchronization
import TollgateJSON
import TollgateLifecycle
import TollgatePostgres
import TollgateStore
import TollgateTestServers
import TollgateTestSupport

func argument(_ name: String, _ fallback: String) -> String {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: name), i + 1 < args.count { return args[i + 1] }
    return fallback
}

let activities = Int(argument("--activities", "2000")) ?? 2000
let concurrency = Int(argument("--concurrency", "16")) ?? 16
let binary = argument("--tollgate", ".build/release/tollgate")
let postgresURL = argument("--postgres", "")
let postgresData = argument("--postgres-data", "")
var quiet = Logger(label: "load")
quiet.logLevel = .critical

let work = NSTemporaryDirectory() + "tollgate-load-\(UUID().uuidString)"
try FileManager.default.createDirectory(atPath: work + "/descriptors", withIntermediateDirectories: true)
// `--keep` leaves the databases, configurations and server logs behind for inspection.
let keep = CommandLine.arguments.contains("--keep")
defer { if keep { print("kept                   \(work)") } else { try? FileManager.default.removeItem(atPath: work) } }
for i in 0..<activities {
    let descriptor: JSONValue = [
        "info": ["fullyQualifiedName": "urn:org.opendatamesh:dataproducts:load", "name": "load", "version": .string("1.0.\(i)"), "owner": ["id": "team"]],
        "internalComponents": ["lifecycleInfo": ["dev": [["service": ["$href": "bench"], "template": ["definition": ["pipelineId": "1"]]]]]],
    ]
    try Data(descriptor.serialized().utf8).write(to: URL(fileURLWithPath: "\(work)/descriptors/\(i).json"))
}

let client = HTTPClient(
    eventLoopGroupProvider: .singleton,
    configuration: .init(connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency * 2)))
let executorPort = FreePort.next()
let executor = startFakeExecutor(port: executorPort, client: client, logger: quiet)
defer { executor.cancel() }
var load = LoadRun(binary: binary, work: work, executorPort: executorPort, activities: activities, concurrency: concurrency, client: client)
// `--pool N`: connections of each replica's PostgreSQL pool (8, the default of `database.pool`).
load.pool = Int(argument("--pool", "8")) ?? 8

if CommandLine.arguments.contains("--telemetry") {
    // What traces cost: the same load with traces off, then on (every span sent to a collector on
    // loopback that decodes them), side by side in one run, on SQLite.
    let collector = FakeOTLPReceiver()
    try await collector.start(client: client)
    defer { collector.stop() }
    let off = try await load.run(label: "traces off", storage: .sqlite, replicas: 1)
    load.traces = collector.endpoint
    let on = try await load.run(label: "traces on", storage: .sqlite, replicas: 1)
    try await Task.sleep(for: .seconds(6))  // the exporter's last batch
    print("activities             \(off.processed) and \(on.processed) of \(activities) PROCESSED, \(concurrency) concurrent clients")
    print("                       activities/s  POST p99   server CPU/activity")
    for f in [off, on] {
        print(f.label.padding(toLength: 23, withPad: " ", startingAt: 0) + String(format: "%12.0f  %6.1f ms  %6.2f ms", f.activitiesPerSecond, f.p99, f.perActivity(f.tollgateCPU)))
    }
    print(
        String(
            format: "traces on / off        CPU per activity x%.2f, throughput x%.2f; %d spans received",
            on.perActivity(on.tollgateCPU) / max(off.perActivity(off.tollgateCPU), 0.001), on.activitiesPerSecond / max(off.activitiesPerSecond, 0.001),
            collector.spans.withLock { $0.count }))
} else if postgresURL.isEmpty {
    let f = try await load.run(label: "sqlite", storage: .sqlite, replicas: 1)
    print("activities             \(f.processed)/\(activities) PROCESSED (1 task each, 3 gates, shipped policies), \(concurrency) concurrent clients")
    print(String(format: "complete activities/s  %.0f (all submitted in %.2f s, all complete after %.2f s)", f.activitiesPerSecond, f.submitSeconds, f.seconds))
    print(String(format: "POST latency           median %.2f ms, p99 %.2f ms, max %.2f ms", f.median, f.p99, f.latencies.last!))
    print(
        String(
            format: "CPU                    server %.2f ms per activity (%.0f%% of a core), load generator and fake executor %.2f ms",
            f.perActivity(f.tollgateCPU), f.tollgateCPU * 100 / f.seconds, f.perActivity(f.ownCPU)))
    print(
        String(
            format: "server RSS             idle %.1f MB (anonymous %.1f MB), after load %.1f MB", Double(f.idleRSS) / 1024,
            Double(f.idleAnonymous) / 1024, Double(f.loadRSS) / 1024))
    print(
        "targets                >= 1000 activities/s: \(f.activitiesPerSecond >= 1000 ? "met" : "MISSED"); p99 < 20 ms: \(f.p99 < 20 ? "met" : "MISSED"); idle RSS < 40 MB: \(f.idleRSS < 40 * 1024 ? "met" : "MISSED")"
    )
} else {
    let postmaster = postmasterPid(dataDirectory: postgresData)
    if postmaster == nil { print("(no postmaster.pid under --postgres-data '\(postgresData)': PostgreSQL's CPU is not measured)") }
    let suffix = UUID().uuidString.prefix(8).lowercased()
    // `--replicas 0,1,2,3` (the default) selects the runs: 0 is SQLite, N is PostgreSQL with N replicas.
    let selected = argument("--replicas", "0,1,2,3").split(separator: ",").compactMap { Int($0) }
    var runs: [RunFigures] = []
    if selected.contains(0) { runs.append(try await load.run(label: "sqlite 1", storage: .sqlite, replicas: 1)) }
    for replicas in selected where replicas > 0 {
        runs.append(
            try await load.run(
                label: "postgres \(replicas)", storage: .postgres(url: postgresURL, schema: "bench_\(replicas)_\(suffix)", postmaster: postmaster),
                replicas: replicas))
    }
    // The chain's own append rate is measured with the full comparison only.
    let appends =
        selected == [0, 1, 2, 3]
        ? try await measureChainAppends(postgresURL: postgresURL, schema: "bench_chain_\(suffix)", work: work) : ChainAppendFigures()
    ScaleOutReport(runs: runs, appends: appends, activities: activities, concurrency: concurrency).print()
}
