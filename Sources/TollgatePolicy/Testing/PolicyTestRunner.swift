import CTollgateLua
import Foundation
import TollgateJSON

/// Runs the `*_test.lua` files of a policy directory against the policies beside them.
///
/// ```swift
/// let report = try PolicyTestRunner(directory: "policies").run(coverage: true)
/// print("\(report.passed) passed, \(report.failed) failed")
/// ```
public struct PolicyTestRunner: Sendable {
    /// The policy directory.
    public var directory: String
    /// Limits for policy evaluations made by tests.
    public var limits: PolicyLimits
    /// Limits for the test code itself.
    public var testLimits: PolicyLimits

    public init(directory: String, limits: PolicyLimits = PolicyLimits()) {
        self.directory = directory
        self.limits = limits
        self.testLimits = PolicyLimits(
            instructionBudget: 50_000_000, memoryLimit: 256 << 20, maxStringBytes: 16 << 20, patternBudget: 1e8,
            deadlineMilliseconds: 60_000, maxResultBytes: 64 << 20)
    }

    /// Runs every test file, or those whose path contains `filter`.
    public func run(coverage: Bool = false, filter: String? = nil) throws(PolicyEngineError) -> PolicyTestReport {
        let set = try PolicySet.load(directory: directory, limits: limits, poolSize: 1)
        var report = PolicyTestReport()
        report.policyProblems = set.problems
        // A policy that does not load is a failure of the suite, tested or not.
        report.cases = set.problems.map { problem in
            .init(
                file: problem.file, line: problem.line, name: "policy loads (\(problem.kind.rawValue))",
                status: .error, message: problem.description)
        }
        if coverage { try? set.withWorker { $0.setCoverage(true) } }
        let testFiles = try PolicyDirectory.testFiles(in: directory).filter { filter == nil || $0.contains(filter!) }
        let sandbox = try LuaSandbox(prelude: PolicyPrelude.test, limits: testLimits)
        for path in testFiles {
            report.cases += runFile(path, set: set, sandbox: sandbox)
        }
        if coverage {
            report.coverage = (try? set.withWorker { worker in
                set.files.compactMap { file -> PolicyTestReport.Coverage? in
                    guard file.policy != nil, let lines = worker.coverage(slot: file.slot) else { return nil }
                    return PolicyTestReport.Coverage(file: file.path, lines: lines.lines, hits: lines.hits)
                }
            }) ?? []
        }
        return report
    }

    private func runFile(_ path: String, set: PolicySet, sandbox: LuaSandbox) -> [PolicyTestReport.Case] {
        guard let data = FileManager.default.contents(atPath: path) else {
            return [.init(file: path, line: 1, name: "(file)", status: .error, message: "\(path): cannot read the file")]
        }
        let host = PolicyTestHost(set: set, testFile: path)
        let context = Unmanaged.passRetained(host)
        defer { context.release() }
        var result = tg_eval_result()
        defer { tg_eval_result_clear(&result) }
        var source = String(decoding: data, as: UTF8.self)
        source.withUTF8 { s in
            s.withMemoryRebound(to: CChar.self) { c in
                tg_run_tests(sandbox.state, "@" + path, c.baseAddress, c.count, policyTestHostCall, context.toOpaque(), &result)
            }
        }
        if Int(result.outcome) == Int(TG_OUTCOME_ERROR) {
            let message = SourceLines.expandingTruncatedPath(String(bridged: result.message) ?? "the test file failed", file: path)
            let (line, _) = SourceLines.split(luaMessage: message, file: path)
            return [.init(file: path, line: line, name: "(loading the test file)", status: .error, message: message)]
        }
        guard case .array(let items)? = result.payload.jsonValue else { return [] }
        return items.map { item in
            let status: PolicyTestReport.Case.Status =
                switch item["status"]?.stringValue {
                case "pass": .pass
                case "fail": .fail
                default: .error
                }
            return .init(
                file: path, line: Int(item["line"]?.intValue ?? 0), name: item["name"]?.stringValue ?? "?",
                status: status, message: item["message"]?.stringValue.map { SourceLines.expandingTruncatedPath($0, file: path) })
        }
    }
}

/// The C entry point of host calls: decodes the argument, asks the host, encodes the answer.
/// Never throws or unwinds; failures come back as a status and a malloc'd message.
private let policyTestHostCall: tg_host_fn = { context, operation, name, argument, result, error in
    guard let context, let result else { return 1 }
    let host = Unmanaged<PolicyTestHost>.fromOpaque(context).takeUnretainedValue()
    let argumentValue: JSONValue =
        if let argument, argument.pointee.word_count > 0 {
            PolicyDocumentReader(
                words: UnsafeBufferPointer(start: argument.pointee.words, count: argument.pointee.word_count),
                bytes: UnsafeBufferPointer(
                    start: UnsafeRawPointer(argument.pointee.bytes)?.assumingMemoryBound(to: UInt8.self),
                    count: argument.pointee.byte_count)
            ).value(at: argument.pointee.root)
        } else {
            .null
        }
    switch host.handle(operation: operation, name: name.map { String(cString: $0) } ?? "", argument: argumentValue) {
    case .success(let value):
        PolicyDocument(value).copy(into: result)
        return 0
    case .failure(let failure):
        error?.pointee = strdup(failure.description)
        return 1
    }
}

extension PolicyDocument {
    /// Copies the document into malloc'd buffers the C side owns (and frees).
    func copy(into out: UnsafeMutablePointer<tg_owned_doc>) {
        let wordBytes = max(words.count, 1) * MemoryLayout<UInt32>.stride
        let w = malloc(wordBytes)!.assumingMemoryBound(to: UInt32.self)
        words.withUnsafeBufferPointer { w.update(from: $0.baseAddress!, count: words.count) }
        let b = malloc(max(bytes.count, 1))!.assumingMemoryBound(to: CChar.self)
        bytes.withUnsafeBufferPointer { src in
            if let base = src.baseAddress {
                UnsafeMutableRawPointer(b).copyMemory(from: base, byteCount: bytes.count)
            }
        }
        out.pointee.words = w
        out.pointee.word_count = words.count
        out.pointee.word_capacity = max(words.count, 1)
        out.pointee.bytes = b
        out.pointee.byte_count = bytes.count
        out.pointee.byte_capacity = max(bytes.count, 1)
        out.pointee.root = root
    }
}
