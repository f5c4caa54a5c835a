// Load on `tollgate serve` over loopback: activities created and started through the ODM API,
// each with one task whose fake ODM executor calls back at once, the three gates on (the shipped
// policies). Reports complete activities per second, request latency, and the server's RSS.
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import TollgateJSON
import TollgateTestSupport

func argument(_ name: String, _ fallback: String) -> String {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: name), i + 1 < args.count { return args[i + 1] }
    return fallback
}

/// CPU seconds (user + system) a process has used so far, from `/proc/PID/stat`.
func cpuSeconds(pid: Int32) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let afterName = text.range(of: ") ")
    else { return 0 }
    // Fields after the command name start at field 3; utime and stime are fields 14 and 15.
    let fields = text[afterName.upperBound...].split(separator: " ")
    let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
    return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// A `/proc/PID/status` figure in kilobytes: `VmRSS` (all resident memory) or `RssAnon` (the
/// process's own heap and stacks, without the code and data pages of its files).
func rssKilobytes(pid: Int32, field: String = "VmRSS") -> Int {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
    let line = text.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
}

let activities = Int(argument("--activities", "2000")) ?? 2000
let concurrency = Int(argument("--concurrency", "16")) ?? 16
let binary = argument("--tollgate", ".build/release/tollgate")
var quiet = Logger(label: "load")
quiet.logLevel = .critical

let work = NSTemporaryDirectory() + "tollgate-load-\(UUID().uuidString)"
try FileManager.default.createDirectory(atPath: work + "/descriptors", withIntermediateDirectories: true)
// `--keep` leaves the database and configuration behind for inspection.
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

// The fake executor: accepts the task, then calls its callbackRef at once.
let executorPort = FreePort.next()
let router = Router()
router.post("api/v1/up/executor/tasks") { request, _ -> Response in
    let body = try await request.body.collect(upTo: 1 << 20)
    let task = try JSONValue.parse(Array(body.readableBytesView))
    if let callback = task["callbackRef"]?.stringValue {
        Task {
            var call = HTTPClientRequest(url: callback)
            call.method = .PATCH
            call.headers.add(name: "Content-Type", value: "application/json")
            call.body = .bytes(ByteBuffer(string: #"{"status":"PROCESSED","results":{"ok":true}}"#))
            _ = try? await client.execute(call, timeout: .seconds(30))
        }
    }
    return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body.readableBytesView)))
}
let executorApp = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: executorPort)), logger: quiet)
let executorTask = Task { try await executorApp.runService(gracefulShutdownSignals: []) }

// The server, as its own process.
let port = FreePort.next()
let config = """
    server: { host: 127.0.0.1, port: \(port) }
    database: { path: \(work)/tollgate.db }
    policies: { directory: \(FileManager.default.currentDirectoryPath)/policies }
    registry: { kind: directory, path: \(work)/descriptors }
    executors:
      bench: { kind: odm, address: "http://127.0.0.1:\(executorPort)" }
    """
try Data(config.utf8).write(to: URL(fileURLWithPath: work + "/tollgate.yaml"))
let server = Process()
server.executableURL = URL(fileURLWithPath: binary)
server.arguments = ["serve", "--config", work + "/tollgate.yaml"]
server.standardOutput = FileHandle.nullDevice
server.standardError = FileHandle.nullDevice
try server.run()
defer { server.terminate(); server.waitUntilExit() }
for _ in 0..<500 {
    if (try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(1)))?.status == .ok { break }
    try await Task.sleep(for: .milliseconds(20))
}
try await Task.sleep(for: .milliseconds(500))
let idleRSS = rssKilobytes(pid: server.processIdentifier)
let idleAnonymous = rssKilobytes(pid: server.processIdentifier, field: "RssAnon")

// Load: `concurrency` clients, each creating and starting its share of activities.
let latencies = Mutex<[Double]>([])
let serverCPUBefore = cpuSeconds(pid: server.processIdentifier)
let ownCPUBefore = cpuSeconds(pid: getpid())
let started = ContinuousClock.now
await withTaskGroup(of: Void.self) { group in
    for worker in 0..<concurrency {
        group.addTask {
            var i = worker
            while i < activities {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/pp/devops/activities?startAfterCreation=true")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: #"{"dataProductId":"urn:org.opendatamesh:dataproducts:load","dataProductVersion":"1.0.\#(i)","stage":"dev"}"#))
                let t0 = ContinuousClock.now
                if let response = try? await client.execute(request, timeout: .seconds(30)) {
                    _ = try? await response.body.collect(upTo: 1 << 20)
                }
                let d = (ContinuousClock.now - t0).components
                latencies.withLock { $0.append(Double(d.seconds) * 1000 + Double(d.attoseconds) / 1e15) }
                i += concurrency
            }
        }
    }
}
let submitted = ContinuousClock.now
// Wait until no activity is left PLANNED or PROCESSING (these lists are short; the full list is
// read once, after the clock stops).
func count(status: String) async throws -> Int {
    let response = try await client.execute(
        HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/pp/devops/activities?status=\(status)"), timeout: .seconds(30))
    let body = try await response.body.collect(upTo: 256 << 20)
    return (try? JSONValue.parse(Array(body.readableBytesView)))?.arrayValue?.count ?? -1
}
for _ in 0..<3000 {
    if try await count(status: "PROCESSING") == 0, try await count(status: "PLANNED") == 0 { break }
    try await Task.sleep(for: .milliseconds(5))
}
let finished = ContinuousClock.now
let loadRSS = rssKilobytes(pid: server.processIdentifier)
let serverCPU = cpuSeconds(pid: server.processIdentifier) - serverCPUBefore
let ownCPU = cpuSeconds(pid: getpid()) - ownCPUBefore
let processed = try await count(status: "PROCESSED")
func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
let total = seconds(finished - started)
var sorted = latencies.withLock { $0 }.sorted()
if sorted.isEmpty { sorted = [0] }
print("activities             \(processed)/\(activities) PROCESSED (1 task each, 3 gates, shipped policies), \(concurrency) concurrent clients")
print(String(format: "complete activities/s  %.0f (all submitted in %.2f s, all complete after %.2f s)", Double(processed) / total, seconds(submitted - started), total))
print(String(format: "POST latency           median %.2f ms, p99 %.2f ms, max %.2f ms", sorted[sorted.count / 2], sorted[sorted.count * 99 / 100], sorted.last!))
let perActivity = 1000 / Double(max(processed, 1))
print(
    String(
        format: "CPU                    server %.2f ms per activity (%.0f%% of a core), load generator and fake executor %.2f ms",
        serverCPU * perActivity, serverCPU * 100 / total, ownCPU * perActivity))
print(
    String(
        format: "server RSS             idle %.1f MB (anonymous %.1f MB), after load %.1f MB", Double(idleRSS) / 1024,
        Double(idleAnonymous) / 1024, Double(loadRSS) / 1024))
print("targets                >= 1000 activities/s: \(Double(processed) / total >= 1000 ? "met" : "MISSED"); p99 < 20 ms: \(sorted[sorted.count * 99 / 100] < 20 ? "met" : "MISSED"); idle RSS < 40 MB: \(idleRSS < 40 * 1024 ? "met" : "MISSED")")
executorTask.cancel()
