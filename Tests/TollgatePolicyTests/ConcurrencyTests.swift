import Dispatch
import Foundation
import Synchronization
import Testing
import TollgateJSON
import TollgatePolicy
import TollgateTestSupport

@Suite("Parallel evaluation and reload")
struct ConcurrencyTests {
    static func version(_ tag: String) -> [(String, String)] {
        (1...3).map { i in
            ("p\(i).lua", PolicySource.policy(name: "p\(i)", body: "return deny(\"\(tag)\")"))
        }
    }

    @Test func parallelEvaluationsGetTheirOwnAnswers() throws {
        let set = try PolicySource.set([
            ("stage.lua", PolicySource.policy(name: "stage", body: "return deny(input.activity.stage)"))
        ])
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            let stage = "stage-\(worker)"
            let input = PolicyDocument(PolicyInputs.with(PolicyInputs.stageTransition, ["activity", "stage"], .string(stage)))
            for _ in 0..<2_000 {
                let decision = set.evaluate(.stageTransition, input: input)
                if decision.results.first?.reasons != [stage] { failures.add(1, ordering: .relaxed) }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
    }

    @Test func reloadSwapsTheWholeSetWhileEvaluationsRun() throws {
        let first = try PolicySource.set(Self.version("v1"))
        let second = try PolicySource.set(Self.version("v2"))
        let engine = PolicyEngine(set: first)
        let mixed = Atomic<Int>(0)
        let seen = Mutex<Set<String>>([])
        let stop = Atomic<Bool>(false)
        let input = PolicyInputs.stageTransitionDocument
        let started = Atomic<Int>(0)
        let done = DispatchGroup()
        // Real threads, so the swapper and both evaluators run at the same time whatever the core count.
        for _ in 0..<2 {
            done.enter()
            Thread.detachNewThread {
                started.add(1, ordering: .relaxed)
                var evaluations = 0
                while evaluations < 500 || !stop.load(ordering: .relaxed) {
                    evaluations += 1
                    let decision = engine.evaluate(.stageTransition, input: input)
                    let tags = Set(decision.results.flatMap(\.reasons))
                    if tags.count != 1 { mixed.add(1, ordering: .relaxed) }
                    let expected = decision.policySetRevision == first.revision ? "v1" : "v2"
                    if tags != [expected] { mixed.add(1, ordering: .relaxed) }
                    seen.withLock { $0.formUnion(tags) }
                }
                done.leave()
            }
        }
        while started.load(ordering: .relaxed) < 2 { usleep(100) }
        // At least 400 swaps, and on until both sets were seen (a starved machine), within 10 s.
        let deadline = ContinuousClock.now + .seconds(10)
        var swaps = 0
        while swaps < 400 || (seen.withLock { $0.count } < 2 && ContinuousClock.now < deadline) {
            engine.replace(with: swaps.isMultiple(of: 2) ? second : first)
            swaps += 1
            usleep(200)
        }
        stop.store(true, ordering: .relaxed)
        done.wait()
        #expect(mixed.load(ordering: .relaxed) == 0, "an evaluation mixed two policy sets")
        #expect(seen.withLock { $0 } == ["v1", "v2"])
    }

    @Test func reloadFromDisk() throws {
        let directory = try TemporaryDirectory()
        try directory.write("p.lua", PolicySource.policy(name: "p", body: "return allow()"))
        let engine = try PolicyEngine(directory: directory.path)
        #expect(engine.evaluate(.stageTransition, input: PolicyInputs.stageTransitionDocument).verdict == .pass)
        try directory.write("p.lua", PolicySource.policy(name: "p", body: "return deny('changed')"))
        let before = engine.policySet.revision
        try engine.reload()
        #expect(engine.policySet.revision != before)
        #expect(engine.evaluate(.stageTransition, input: PolicyInputs.stageTransitionDocument).verdict == .block)
    }

    @Test func aMissingDirectoryIsAClearError() {
        #expect(throws: PolicyEngineError.self) { try PolicyEngine(directory: "/nonexistent/policies") }
    }
}
