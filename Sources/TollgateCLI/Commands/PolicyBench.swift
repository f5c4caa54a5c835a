import ArgumentParser
import Dispatch
import Foundation
import TollgateJSON
import TollgatePolicy

struct PolicyBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure decisions per second for a phase (or one policy) on an input.",
        discussion: """
            Warms up, then times every decision: the read-only view of the input handed to Lua, \
            the policies run, and their results read back into Swift. With --include-encoding the \
            JSON-to-document encoding of the input is timed too. Build with -c release.
            """
    )

    @Option(help: "Phase to evaluate (default: the input's \"event\").")
    var phase: String?

    @Option(help: "Input file (JSON).")
    var input: String

    @Option(help: "Policy directory.")
    var policies = "policies"

    @Option(help: "Evaluate only this policy instead of the whole phase.")
    var policy: String?

    @Option(help: "Warm-up decisions.")
    var warmup = 2_000

    @Option(help: "Timed decisions.")
    var iterations = 50_000

    @Option(help: "Parallel workers for the throughput run (0 = skip).")
    var workers = 2

    @Flag(help: "Also time encoding the input from its JSON value on every decision.")
    var includeEncoding = false

    @Option(help: "Output: text or json.")
    var format: DataFormat = .text

    @Option(help: "A median to compare against, in nanoseconds (reported as met or missed).")
    var targetNanoseconds: Int64?

    @Option(help: "Name of the case, for one-line summaries.")
    var label: String?

    func run() throws {
        let set: PolicySet
        let value: JSONValue
        let phase: PolicyPhase
        do {
            set = try PolicySet.load(directory: policies)
            value = try InputFile.read(input)
            phase = try InputFile.phase(option: self.phase, input: value, path: input)
        } catch {
            printError("tollgate policy bench: \(error)")
            throw ExitCode(2)
        }
        if let policy, set.file(named: policy) == nil {
            printError("tollgate policy bench: no policy named '\(policy)' in \(policies)")
            throw ExitCode(2)
        }
        let document = PolicyDocument(value)
        let decide: @Sendable (PolicyDocument) -> Int = { [policy, includeEncoding] document in
            let doc = includeEncoding ? PolicyDocument(value) : document
            if let policy {
                return set.evaluate(policy: policy, input: doc)?.reasons.count ?? 0
            }
            return set.evaluate(phase, input: doc).results.count
        }
        // Sanity: what is being measured.
        let sample = policy.map { p in set.evaluate(policy: p, input: document).map { [$0] } ?? [] }
            ?? set.evaluate(phase, input: document).results
        for _ in 0..<warmup { _ = decide(document) }

        var samples = [Int64](repeating: 0, count: iterations)
        for i in 0..<iterations {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = decide(document)
            samples[i] = Int64(DispatchTime.now().uptimeNanoseconds - start)
        }
        samples.sort()
        let stats = BenchStats(samples)

        var parallel: Double?
        if workers > 0 {
            let perWorker = max(iterations / workers, 1)
            let start = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                // Each worker decides on its own copy of the input, as concurrent requests would.
                let own = PolicyDocument(value)
                for _ in 0..<perWorker { _ = decide(own) }
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            parallel = Double(perWorker * workers) / elapsed
        }

        let subject = policy ?? "\(phase.rawValue) (\(sample.count) policies)"
        if format == .json {
            var o = JSONObject()
            o["input"] = .string(input)
            o["subject"] = .string(subject)
            o["outcomes"] = .array(sample.map { .string("\($0.policy)=\($0.outcome.rawValue)") })
            o["includeEncoding"] = .bool(includeEncoding)
            o["iterations"] = .int(Int64(iterations))
            o["medianNanoseconds"] = .int(stats.median)
            o["p99Nanoseconds"] = .int(stats.p99)
            o["minNanoseconds"] = .int(stats.min)
            o["maxNanoseconds"] = .int(stats.max)
            o["meanNanoseconds"] = .double(stats.mean)
            o["decisionsPerSecond"] = .double(1e9 / stats.mean)
            if let parallel {
                o["workers"] = .int(Int64(workers))
                o["parallelDecisionsPerSecond"] = .double(parallel)
            }
            if let targetNanoseconds {
                o["targetNanoseconds"] = .int(targetNanoseconds)
                o["targetMet"] = .bool(stats.median <= targetNanoseconds)
            }
            print(JSONValue.object(o).serialized())
        } else if let label {
            var line = Terminal.pad(label, 46)
            line += String(format: "median %7.2f µs  p99 %7.2f µs  min %6.2f  max %9.2f µs  %8.0f/s",
                Double(stats.median) / 1000, Double(stats.p99) / 1000, Double(stats.min) / 1000,
                Double(stats.max) / 1000, 1e9 / stats.mean)
            if let parallel { line += String(format: "  %d workers %8.0f/s", workers, parallel) }
            if let targetNanoseconds {
                let ratio = Double(stats.median) / Double(targetNanoseconds)
                line += String(format: "  target %.0f µs: %@ (%.2fx)", Double(targetNanoseconds) / 1000,
                    stats.median <= targetNanoseconds ? "met" : "MISSED", ratio)
            }
            print(line)
        } else {
            print("subject     \(subject)")
            print("input       \(input)\(includeEncoding ? " (encoding timed)" : "")")
            print("outcomes    \(sample.map { "\($0.policy)=\($0.outcome.rawValue)" }.joined(separator: ", "))")
            print("decisions   \(iterations) (after \(warmup) warm-up)")
            print("median      \(stats.median) ns")
            print("p99         \(stats.p99) ns")
            print("min / max   \(stats.min) ns / \(stats.max) ns")
            print(String(format: "throughput  %.0f decisions/s (1 worker)", 1e9 / stats.mean))
            if let parallel {
                print(String(format: "parallel    %.0f decisions/s (%d workers)", parallel, workers))
            }
        }
    }
}

/// Order statistics of sorted samples.
struct BenchStats {
    let median: Int64
    let p99: Int64
    let min: Int64
    let max: Int64
    let mean: Double

    init(_ sorted: [Int64]) {
        median = sorted[sorted.count / 2]
        p99 = sorted[Swift.min(sorted.count - 1, sorted.count * 99 / 100)]
        min = sorted.first ?? 0
        max = sorted.last ?? 0
        mean = Double(sorted.reduce(0, +)) / Double(Swift.max(sorted.count, 1))
    }
}
