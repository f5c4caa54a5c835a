import CTollgateLua

/// One sandboxed Lua state. Not thread-safe: it is used by one caller at a time (see `PolicyWorker`).
final class LuaSandbox {
    let state: OpaquePointer

    /// Creates a state running `prelude`, with `limits` applied to every protected run.
    init(prelude: String, limits: PolicyLimits) throws(PolicyEngineError) {
        var errorBuffer = [CChar](repeating: 0, count: 512)
        var prelude = prelude
        let created = prelude.withUTF8 { p in
            p.withMemoryRebound(to: CChar.self) { c in
                tg_state_new(c.baseAddress, c.count, &errorBuffer, errorBuffer.count)
            }
        }
        guard let created else {
            let message = errorBuffer.withUnsafeBufferPointer { buffer in
                String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            throw PolicyEngineError.sandbox("could not create a Lua state: \(message)")
        }
        state = created
        tg_state_set_limits(
            state,
            tg_limits(
                instruction_budget: limits.instructionBudget,
                memory_limit: limits.memoryLimit,
                max_string: limits.maxStringBytes,
                pattern_budget: limits.patternBudget,
                deadline_nanoseconds: Int64(limits.deadlineMilliseconds) * 1_000_000,
                max_result_bytes: limits.maxResultBytes))
    }

    deinit { tg_state_free(state) }

    /// Bytes the state currently holds.
    var memory: Int { tg_state_memory(state) }
}

extension String {
    /// Copies a malloc'd C string from the bridge (nil stays nil).
    init?(bridged pointer: UnsafeMutablePointer<CChar>?) {
        guard let pointer else { return nil }
        self = String(cString: pointer)
    }
}
