import CTollgateLua
import TollgateJSON

extension PolicySet {
    /// Evaluates every policy of `phase` on `input` and combines the outcomes.
    ///
    /// Broken policies of the phase answer `error` without running (fail closed); filtered-out
    /// policies answer `skipped` with the reason. The whole phase runs on one Lua state.
    public func evaluate(_ phase: PolicyPhase, input: PolicyDocument) -> PhaseDecision {
        var results: [PolicyResult] = []
        if !phaseIsEmpty(phase) {
            do {
                try withWorker { worker in
                    let catalog = worker.catalog ?? PolicyCatalog(copying: files)
                    input.withCDocument { doc in
                        for index in catalog.indices(of: phase) {
                            results.append(evaluate(catalog.files[index], worker: worker, input: input, doc: doc))
                        }
                    }
                }
            } catch {
                // No Lua state could be made: every policy of the phase fails closed.
                results = (byPhase[phase] ?? []).map { index in
                    let file = files[index]
                    let policy = file.policy ?? Policy(name: file.name, description: "", phases: [phase], blocking: true)
                    return PolicyResult(
                        policy: file.name, revision: file.revision, file: file.path, blocking: policy.blocking,
                        outcome: .error, effect: policy.effect(of: .error), reasons: ["\(error)"], errorKind: .runtime)
                }
            }
        }
        return PhaseDecision(
            phase: phase, verdict: PhaseDecision.verdict(of: results), results: results, policySetRevision: revision)
    }

    /// Evaluates one policy by name, whatever its phases (used by policy tests and `policy bench --policy`).
    public func evaluate(policy name: String, input: PolicyDocument) -> PolicyResult? {
        let outcome = try? withWorker { worker -> PolicyResult? in
            let catalog = worker.catalog ?? PolicyCatalog(copying: files)
            guard let index = catalog.byName[name] else { return nil }
            let file = catalog.files[index]
            return input.withCDocument { doc in evaluate(file, worker: worker, input: input, doc: doc) }
        }
        return outcome ?? nil
    }

    func evaluate(_ file: PolicyFile, worker: PolicyWorker, input: PolicyDocument, doc: UnsafePointer<tg_doc>) -> PolicyResult {
        switch file.status {
        case .broken(let problem, let declared):
            let policy = declared ?? Policy(name: file.path, description: "", phases: PolicyPhase.allCases, blocking: true)
            return PolicyResult(
                policy: file.name, revision: file.revision, file: file.path, blocking: policy.blocking,
                outcome: .error, effect: policy.blocking ? .block : .warn,
                reasons: ["policy is broken and was not evaluated: \(problem)"], errorKind: .brokenPolicy)
        case .loaded(let policy):
            if !policy.filter.isEmpty, let reason = policy.filter.skipReason(for: input) {
                return PolicyResult(
                    policy: policy.name, revision: file.revision, file: file.path, blocking: policy.blocking,
                    outcome: .skipped, effect: .none, reasons: [reason])
            }
            let start = ContinuousClock.now
            let raw = worker.evaluate(slot: file.slot, input: doc)
            let elapsed = start.duration(to: .now).components
            return PolicyResult(
                policy: policy.name, revision: file.revision, file: file.path, blocking: policy.blocking,
                outcome: raw.outcome, effect: policy.effect(of: raw.outcome),
                reasons: raw.outcome == .error
                    ? raw.reasons.map { SourceLines.expandingTruncatedPath($0, file: file.path) } : raw.reasons,
                details: raw.details, errorKind: raw.errorKind,
                durationNanoseconds: elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000,
                instructions: raw.instructions, memoryBytes: raw.memory)
        }
    }
}
