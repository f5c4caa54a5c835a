// The decision log at scale: generates a log of N decisions (release build), then measures what
// auditors do with it, side by side: a filtered query (product + phase + time range), a full
// verification of the chain, and an NDJSON export of everything. Reports the database size per
// decision. Then the service's `/health` latency on that log, idle and while full verifications
// run back to back beside a write load; last, the process's memory during four full exports at once.
// With --generate-only it writes the log and stops (for `tollgate database copy`'s measurement).
import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import Synchronization
import TollgateJSON
import TollgateLifecycle
import TollgateServer
import TollgateStore

func argument(_ name: String, _ fallback: String) -> String {
    let args = CommandLine.arguments
    guard let index = args.firstIndex(of: "--\(name)"), index + 1 < args.count else { return fallback }
    return args[index + 1]
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

let count = Int(argument("decisions", "1000000")) ?? 1_000_000
let path = argument("database", NSTemporaryDirectory() + "tollgate-decisions-\(UUID().uuidString).db")
let keep = CommandLine.arguments.contains("--keep")
defer {
    if !keep { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
}

let store = try SQLiteLifecycleStore(path: path)
let phases: [GatePhase] = [.stageTransition, .taskResult, .taskResult, .activityResult]
let stages = ["dev", "test", "prod"]
let start = Date(timeIntervalSince1970: 1_790_000_000)
let span = 90.0 * 24 * 3600  // the log covers ninety days
let policies = ["stage-order", "owner-required", "vm-ip-wellformed"]

func decision(_ i: Int) -> DecisionRecord {
    let product = "urn:org.opendatamesh:dataproducts:product-\(i % 1000)"
    let phase = phases[i % phases.count]
    let stage = stages[(i / 4) % stages.count]
    let input: JSONValue = [
        "event": .string(phase.rawValue),
        "activity": ["id": .int(Int64(i / 4)), "dataProductId": .string(product), "dataProductVersion": .string("1.0.\(i % 7)"), "stage": .string(stage)],
        "result": ["status": "PROCESSED", "results": ["vm": ["name": .string("vm-\(i)"), "ip": "198.168.20.120"], "url": "localhost:8121/hello"]],
        "principal": ["name": "ci", "roles": ["submitter"]],
    ]
    let outcomes = policies.map { name in
        GatePolicyOutcome(
            policy: name, revision: String(repeating: "a", count: 64), file: "policies/\(name).lua", blocking: true,
            outcome: i % 50 == 0 && name == "vm-ip-wellformed" ? "deny" : "allow", effect: i % 50 == 0 && name == "vm-ip-wellformed" ? "block" : "none",
            reasons: i % 50 == 0 && name == "vm-ip-wellformed" ? ["198.168.20 is not an IPv4 address"] : [], durationNanoseconds: 1_500, instructions: 300)
    }
    return DecisionRecord(
        phase: phase, verdict: i % 50 == 0 && phase == .taskResult ? .block : .pass, dataProductId: product, dataProductVersion: "1.0.\(i % 7)",
        stage: stage, activityId: Int64(i / 4), taskId: phase == .taskResult ? Int64(i) : nil, principal: "ci",
        policySetRevision: String(repeating: "b", count: 64), input: input, outcomes: outcomes, gatedChange: "activity \(i / 4): step \(i % 4)",
        createdAt: start.addingTimeInterval(span * Double(i) / Double(count)))
}

let existing = try store.decisionCount()
if existing < count {
    print("generating \(count - existing) decisions in \(path) …")
    let generation = ContinuousClock.now
    var i = existing
    while i < count {
        var changes = ChangeSet()
        for j in i..<min(count, i + 5_000) { changes.decisions.append(decision(j)) }
        _ = try await store.commit(changes)
        i += 5_000
    }
    print("generated in \(String(format: "%.1f", seconds(ContinuousClock.now - generation))) s")
}
if CommandLine.arguments.contains("--generate-only") {
    print("decisions              \(try store.decisionCount()) in \(path)")
    exit(0)
}
let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
print("decisions              \(try store.decisionCount())")
print("database               \(bytes / 1_048_576) MB, \(bytes / max(1, count)) bytes per decision")

// A filtered query: one product, one phase, one week.
var filter = DecisionFilter()
filter.dataProductId = "urn:org.opendatamesh:dataproducts:product-42"
filter.phase = GatePhase.taskResult.rawValue
filter.from = start.addingTimeInterval(30 * 24 * 3600)
filter.to = start.addingTimeInterval(37 * 24 * 3600)
var timings: [Double] = []
var found = 0
for _ in 0..<20 {
    let began = ContinuousClock.now
    found = try store.decisions(matching: filter).count
    timings.append(seconds(ContinuousClock.now - began) * 1000)
}
timings.sort()
print("filtered query         \(found) decisions; median \(String(format: "%.2f", timings[10])) ms, max \(String(format: "%.2f", timings.last ?? 0)) ms (target <= 50 ms: \(timings[10] <= 50 ? "met" : "MISSED"))")

let verifyStart = ContinuousClock.now
let problem = try store.verifyDecisionChain()
let verifySeconds = seconds(ContinuousClock.now - verifyStart)
print("full verify            \(problem == nil ? "intact" : "BROKEN: \(problem!)") in \(String(format: "%.2f", verifySeconds)) s (target <= 5 s: \(verifySeconds <= 5 ? "met" : "MISSED"))")

let exportStart = ContinuousClock.now
let sink = FileHandle(forWritingAtPath: "/dev/null")!
/// Runs an export of the whole log into `sink`; answers the decisions exported.
func exportAll(into sink: FileHandle) async throws -> Int {
    var export = try await DecisionExport(store: store, filter: DecisionFilter(), format: .ndjson)
    while let piece = try await export.next() { sink.write(Data(piece.utf8)) }
    return export.exported
}
let exported = try await exportAll(into: sink)
let exportSeconds = seconds(ContinuousClock.now - exportStart)
print("NDJSON export          \(exported) decisions in \(String(format: "%.2f", exportSeconds)) s (target <= 10 s: \(exportSeconds <= 10 ? "met" : "MISSED"))")

// The service while the whole log is verified: `tollgate serve` in this process on the generated
// log, `/health` asked every few milliseconds, before and while full verifications run back to
// back and activities are created and started (each a commit with its decision).
let healthPort = Int(argument("port", "18902")) ?? 18_902
let sandbox = NSTemporaryDirectory() + "tollgate-decisions-serve-\(UUID().uuidString)"
try FileManager.default.createDirectory(atPath: sandbox + "/descriptors", withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: sandbox) }
let walkthrough = FileManager.default.contents(atPath: "examples/walkthrough/descriptor.json") ?? Data()
_ = FileManager.default.createFile(atPath: sandbox + "/descriptors/hello.json", contents: walkthrough)
var configuration = ServiceConfiguration()
configuration.port = healthPort
configuration.database = .sqlite(path: path)
configuration.policies = "policies"
configuration.registry = .directory(path: sandbox + "/descriptors")
configuration.executors = [:]
let client = TollgateService.makeHTTPClient()
let service = try TollgateService(configuration: configuration, httpClient: client)
let serving = Task { try await service.application().runService() }
let base = "http://127.0.0.1:\(healthPort)"
for _ in 0..<200 {
    if (try? await client.execute(HTTPClientRequest(url: base + "/health"), timeout: .seconds(1)))?.status == .ok { break }
    try await Task.sleep(for: .milliseconds(50))
}

/// `/health` latencies in ms over `duration`, one request every 5 ms.
func healthLatencies(for duration: Duration) async throws -> [Double] {
    var latencies: [Double] = []
    let end = ContinuousClock.now + duration
    while ContinuousClock.now < end {
        let began = ContinuousClock.now
        let response = try await client.execute(HTTPClientRequest(url: base + "/health"), timeout: .seconds(120))
        _ = try await response.body.collect(upTo: 1 << 16)
        latencies.append(seconds(ContinuousClock.now - began) * 1000)
        try await Task.sleep(for: .milliseconds(5))
    }
    return latencies.sorted()
}

func describe(_ sorted: [Double]) -> String {
    guard !sorted.isEmpty else { return "no answers" }
    let p = { (q: Double) in sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] }
    return "\(sorted.count) answers, p50 \(String(format: "%.2f", p(0.5))) ms, p99 \(String(format: "%.2f", p(0.99))) ms, max \(String(format: "%.2f", sorted.last ?? 0)) ms"
}

let idle = try await healthLatencies(for: .seconds(3))
print("/health idle            \(describe(idle))")
let busy = Mutex(false)
busy.withLock { $0 = true }
let verifier = Task {
    var runs: [Double] = []
    while busy.withLock({ $0 }) {
        let began = ContinuousClock.now
        let response = try await client.execute(HTTPClientRequest(url: base + "/api/v1/tollgate/decisions/verify"), timeout: .seconds(600))
        _ = try await response.body.collect(upTo: 1 << 20)
        runs.append(seconds(ContinuousClock.now - began))
    }
    return runs
}
let writer = Task {
    var writes = 0
    while busy.withLock({ $0 }) {
        var create = HTTPClientRequest(url: base + "/api/v1/pp/devops/activities?startAfterCreation=true")
        create.method = .POST
        create.headers.add(name: "Content-Type", value: "application/json")
        create.body = .bytes(ByteBuffer(string: #"{"dataProductId":"urn:org.opendatamesh:dataproducts:hello","dataProductVersion":"1.0.0","stage":"dev"}"#))
        let response = try await client.execute(create, timeout: .seconds(120))
        _ = try await response.body.collect(upTo: 1 << 20)
        writes += 1
    }
    return writes
}
let during = try await healthLatencies(for: .seconds(Int64(argument("busy-seconds", "20")) ?? 20))
busy.withLock { $0 = false }
let verifications = try await verifier.value
let writes = try await writer.value
print("/health while verifying \(describe(during)) (target p99 < 50 ms: \(during.isEmpty ? "MISSED" : during[min(during.count - 1, Int(Double(during.count) * 0.99))] < 50 ? "met" : "MISSED"))")
print("                        during \(verifications.count) full verifications (\(verifications.map { String(format: "%.1f s", $0) }.joined(separator: ", "))) and \(writes) activities created and started")

/// This process's resident memory in MB (server and client alike).
func residentMegabytes() -> Double {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return (Double(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
}

// Four full NDJSON exports at once through the service, each streamed and discarded by its
// reader, the process's resident memory sampled every 20 ms.
let residentBefore = residentMegabytes()
let sampling = Mutex(true)
let residentPeak = Mutex(residentBefore)
let sampler = Task {
    while sampling.withLock({ $0 }) {
        let resident = residentMegabytes()
        residentPeak.withLock { $0 = max($0, resident) }
        try await Task.sleep(for: .milliseconds(20))
    }
}
let parallelExportStart = ContinuousClock.now
let exportedBytes = try await withThrowingTaskGroup(of: Int.self) { group in
    for _ in 0..<4 {
        group.addTask {
            let response = try await client.execute(
                HTTPClientRequest(url: base + "/api/v1/tollgate/decisions/export?format=ndjson"), timeout: .seconds(3600))
            var bytes = 0
            for try await chunk in response.body { bytes += chunk.readableBytes }
            return bytes
        }
    }
    var sizes: [Int] = []
    for try await bytes in group { sizes.append(bytes) }
    return sizes
}
sampling.withLock { $0 = false }
_ = try await sampler.value
let parallelSeconds = seconds(ContinuousClock.now - parallelExportStart)
let peak = residentPeak.withLock { $0 }
print(
    "4 parallel exports     \(exportedBytes.map { "\($0 / 1_048_576) MB" }.joined(separator: ", ")) in \(String(format: "%.1f", parallelSeconds)) s; "
        + "resident \(Int(residentBefore)) MB before, peak \(Int(peak)) MB (target < 100 MB: \(peak < 100 ? "met" : "MISSED"))")
serving.cancel()
try await client.shutdown().get()
