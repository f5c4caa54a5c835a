import CTollgateLua
import Synchronization
import TollgateJSON

/// An immutable, loaded set of policies and the pool of Lua states that evaluate it.
///
/// A set never changes after loading; reloading builds a new set and swaps it in whole
/// (see ``PolicyEngine``), so an evaluation uses one set from start to end. Evaluations may run
/// in parallel from any thread: each takes a Lua state of its own from the pool.
public final class PolicySet: Sendable {
    /// The directory the set was loaded from, if any.
    public let directory: String?
    /// Every policy file, in load order (sorted by path).
    public let files: [PolicyFile]
    /// Limits applied to every evaluation.
    public let limits: PolicyLimits
    /// SHA-256 over the names and revisions of every file: identifies the set.
    public let revision: String

    let byPhase: [PolicyPhase: [Int]]
    private let phasesWithPolicies: (Bool, Bool, Bool)
    private let idle: Mutex<[PolicyWorker]>
    private let poolSize: Int

    init(directory: String?, files: [PolicyFile], limits: PolicyLimits, firstWorker: PolicyWorker?, poolSize: Int) {
        self.directory = directory
        self.files = files
        self.limits = limits
        self.poolSize = max(1, poolSize)
        // Paths relative to the directory, so `policies` and `./policies` name the same set.
        let prefix = directory.map { $0.hasSuffix("/") ? $0 : $0 + "/" } ?? ""
        self.revision = Digest.sha256Hex(
            files.map { file in
                let relative = file.path.hasPrefix(prefix) ? String(file.path.dropFirst(prefix.count)) : file.path
                return "\(relative)\u{0}\(file.revision)\n"
            }.joined())
        var byPhase: [PolicyPhase: [Int]] = [:]
        for phase in PolicyPhase.allCases {
            byPhase[phase] = files.indices.filter { files[$0].runs(at: phase) }
        }
        self.byPhase = byPhase
        self.phasesWithPolicies = (
            byPhase[.stageTransition]?.isEmpty == false, byPhase[.taskResult]?.isEmpty == false,
            byPhase[.activityResult]?.isEmpty == false
        )
        firstWorker?.catalog = PolicyCatalog(copying: files)
        self.idle = Mutex(firstWorker.map { [$0] } ?? [])
    }

    /// Valid policies, in load order.
    public var policies: [Policy] { files.compactMap(\.policy) }

    /// Problems of broken files, in load order.
    public var problems: [PolicyProblem] { files.compactMap(\.problem) }

    /// Warnings of files that loaded (unknown fields), in load order.
    public var warnings: [PolicyProblem] { files.flatMap(\.warnings) }

    /// The file declaring `name`.
    public func file(named name: String) -> PolicyFile? {
        files.first { $0.policy?.name == name } ?? files.first { $0.name == name }
    }

    /// The source of a revision used by this set.
    public func source(ofRevision revision: String) -> String? {
        files.first { $0.revision == revision }?.source
    }

    /// Whether no policy runs at `phase` (read without touching shared reference counts).
    func phaseIsEmpty(_ phase: PolicyPhase) -> Bool {
        switch phase {
        case .stageTransition: !phasesWithPolicies.0
        case .taskResult: !phasesWithPolicies.1
        case .activityResult: !phasesWithPolicies.2
        }
    }

    // MARK: Workers

    /// Takes an idle worker, preferring the one this thread used last (its memory is in this
    /// core's cache), or makes a new one.
    func checkout() throws(PolicyEngineError) -> PolicyWorker {
        let thread = PolicyWorker.currentThread()
        let found = idle.withLock { workers -> PolicyWorker? in
            if let index = workers.lastIndex(where: { $0.lastThread == thread }) {
                return workers.remove(at: index)
            }
            return workers.popLast()
        }
        let worker: PolicyWorker
        if let found { worker = found } else { worker = try makeWorker() }
        worker.lastThread = thread
        return worker
    }

    func checkin(_ worker: PolicyWorker) {
        idle.withLock { workers in
            if workers.count < poolSize { workers.append(worker) }
        }
    }

    private func makeWorker() throws(PolicyEngineError) -> PolicyWorker {
        let worker = try PolicyWorker(limits: limits)
        for file in files where file.policy != nil {
            _ = worker.load(slot: file.slot, chunkName: file.path, source: file.source)
        }
        worker.catalog = PolicyCatalog(copying: files)
        return worker
    }

    /// Runs `body` with a worker of this set held exclusively.
    func withWorker<R>(_ body: (PolicyWorker) throws -> R) throws -> R {
        let worker = try checkout()
        defer { checkin(worker) }
        return try body(worker)
    }
}

/// SHA-256 helpers.
enum Digest {
    static func sha256Hex(_ text: String) -> String {
        sha256Hex(Array(text.utf8))
    }
}
