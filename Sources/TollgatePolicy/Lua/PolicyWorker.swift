import CTollgateLua
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TollgateJSON

/// A Lua state with every policy of a set compiled into it.
///
/// A worker belongs to exactly one caller at a time: the set's pool hands it out and takes it
/// back, so the `lua_State` inside is never touched by two threads at once. That exclusivity is
/// what makes the `@unchecked Sendable` below sound.
final class PolicyWorker: @unchecked Sendable {
    let sandbox: LuaSandbox
    /// This worker's copy of the set's declarations (set once the set is known).
    var catalog: PolicyCatalog?
    /// The thread that used this worker last.
    var lastThread: UInt = 0

    static func currentThread() -> UInt { UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(bitPattern: pthread_self()))) }

    init(limits: PolicyLimits) throws(PolicyEngineError) {
        sandbox = try LuaSandbox(prelude: PolicyPrelude.policy, limits: limits)
    }

    /// What loading a source gave: its declaration table, or the error.
    enum LoadOutcome {
        case declared(JSONValue)
        case failed(status: Int32, message: String)
    }

    func load(slot: Int32, chunkName: String, source: String) -> LoadOutcome {
        var result = tg_load_result()
        defer { tg_load_result_clear(&result) }
        var source = source
        source.withUTF8 { s in
            s.withMemoryRebound(to: CChar.self) { c in
                tg_policy_load(sandbox.state, slot, "@" + chunkName, c.baseAddress, c.count, &result)
            }
        }
        if result.status != Int32(TG_RUN_OK) {
            return .failed(status: result.status, message: String(bridged: result.message) ?? "unknown error")
        }
        return .declared(result.metadata.jsonValue ?? .null)
    }

    /// The raw answer of one evaluation.
    struct RawOutcome {
        var outcome: PolicyOutcome
        var errorKind: PolicyResult.ErrorKind?
        var reasons: [String]
        var details: JSONValue?
        var instructions: Int64
        var memory: Int
    }

    func evaluate(slot: Int32, input: UnsafePointer<tg_doc>) -> RawOutcome {
        var result = tg_eval_result()
        defer { tg_eval_result_clear(&result) }
        tg_policy_evaluate(sandbox.state, slot, input, &result)
        var raw = RawOutcome(
            outcome: .allow, errorKind: nil, reasons: [], details: nil,
            instructions: result.instructions, memory: result.memory)
        switch Int(result.outcome) {
        case Int(TG_OUTCOME_ALLOW):
            raw.outcome = .allow
        case Int(TG_OUTCOME_DENY):
            raw.outcome = .deny
        case Int(TG_OUTCOME_SKIP):
            raw.outcome = .skipped
            raw.reasons = [String(bridged: result.message) ?? "skipped by its filter"]
            return raw
        default:
            raw.outcome = .error
            raw.errorKind = Self.errorKind(result.status)
            raw.reasons = [String(bridged: result.message) ?? "the evaluation failed"]
            return raw
        }
        if result.payload.word_count > 0, let payload = result.payload.jsonValue {
            if case .array(let items)? = payload["reasons"] {
                raw.reasons = items.map { $0.stringValue ?? $0.description }
            }
            if let details = payload["details"], !details.isNull { raw.details = details }
        }
        return raw
    }

    static func errorKind(_ status: Int32) -> PolicyResult.ErrorKind {
        switch Int(status) {
        case Int(TG_RUN_BUDGET): .instructionBudget
        case Int(TG_RUN_MEMORY): .memoryLimit
        case Int(TG_RUN_DEADLINE): .deadline
        case Int(TG_RUN_BAD_RESULT): .badResult
        default: .runtime
        }
    }

    /// Starts or stops line coverage recording.
    func setCoverage(_ enabled: Bool) { tg_coverage_enable(sandbox.state, enabled ? 1 : 0) }

    /// Lines holding code and lines that ran, for the policy in `slot`.
    func coverage(slot: Int32) -> (lines: [Int], hits: [Int])? {
        var doc = tg_owned_doc()
        defer { tg_owned_doc_free(&doc) }
        tg_coverage_report(sandbox.state, slot, &doc)
        guard let value = doc.jsonValue else { return nil }
        func ints(_ v: JSONValue?) -> [Int] { v?.arrayValue?.compactMap { $0.intValue.map(Int.init) } ?? [] }
        return (ints(value["lines"]), ints(value["hits"]))
    }
}
