/// A worker's private copy of a set's file declarations.
///
/// Every evaluation reads names, revisions and filters; reading them from one shared copy makes
/// parallel evaluations fight over the reference counts of the same strings. Each worker holds
/// its own copy instead, so parallel workers share nothing in the hot path.
struct PolicyCatalog {
    let files: [PolicyFile]
    let byPhase: [[Int]]  // indexed like PolicyPhase.allCases
    let byName: [String: Int]

    init(copying files: [PolicyFile]) {
        self.files = files.map { $0.privateCopy() }
        self.byPhase = PolicyPhase.allCases.map { phase in files.indices.filter { files[$0].runs(at: phase) } }
        var byName: [String: Int] = [:]
        for (index, file) in self.files.enumerated() where byName[file.name] == nil || file.policy != nil {
            if let existing = byName[file.name], self.files[existing].policy != nil { continue }
            byName[file.name] = index
        }
        self.byName = byName
    }

    func indices(of phase: PolicyPhase) -> [Int] {
        switch phase {
        case .stageTransition: byPhase[0]
        case .taskResult: byPhase[1]
        case .activityResult: byPhase[2]
        }
    }
}

extension String {
    /// A copy with storage of its own.
    var privateCopy: String { String(decoding: Array(utf8), as: UTF8.self) }
}

extension PolicyFilter {
    func privateCopy() -> PolicyFilter {
        PolicyFilter(
            stages: stages.map(\.privateCopy), products: products.map(\.privateCopy),
            executors: executors.map(\.privateCopy), hasFunction: hasFunction)
    }
}

extension Policy {
    func privateCopy() -> Policy {
        Policy(
            name: name.privateCopy, description: description.privateCopy, phases: phases, blocking: blocking,
            filter: filter.privateCopy(), onError: onError)
    }
}

extension PolicyFile {
    /// A copy whose strings (except the source, which evaluations never read) have their own storage.
    func privateCopy() -> PolicyFile {
        let status: Status =
            switch self.status {
            case .loaded(let policy): .loaded(policy.privateCopy())
            case .broken(let problem, let declared): .broken(problem, declared: declared?.privateCopy())
            }
        return PolicyFile(
            path: path.privateCopy, source: source, revision: revision.privateCopy, status: status, slot: slot,
            warnings: warnings)
    }
}
