/// Where a policy applies, declared as `filter = { stages = {...}, products = {...}, executors = {...} }`.
///
/// Each list holds exact names or `*` wildcards. An empty list places no restriction. A policy may
/// instead declare `filter = function(input) ... end`, evaluated in the sandbox.
public struct PolicyFilter: Sendable, Equatable, Codable {
    /// Target stages (`input.activity.stage`).
    public var stages: [String] = []
    /// Data products (`input.dataProduct.id`, `.fullyQualifiedName` or `.name`).
    public var products: [String] = []
    /// Executors of the task (`input.task.executor`).
    public var executors: [String] = []
    /// Whether the policy also has a filter function.
    public var hasFunction = false

    public init(stages: [String] = [], products: [String] = [], executors: [String] = [], hasFunction: Bool = false) {
        self.stages = stages
        self.products = products
        self.executors = executors
        self.hasFunction = hasFunction
    }

    var isEmpty: Bool { stages.isEmpty && products.isEmpty && executors.isEmpty }

    /// The reason to skip the policy for `input`, or nil when it applies.
    func skipReason(for input: PolicyDocument) -> String? {
        if !stages.isEmpty {
            guard let stage = input.string(at: ["activity", "stage"]) else {
                return "its filter names stages and the input has no activity.stage"
            }
            if !Self.matches(stage, stages) {
                return "stage '\(stage)' is not one of \(Self.list(stages))"
            }
        }
        if !products.isEmpty {
            let candidates = [["dataProduct", "id"], ["dataProduct", "fullyQualifiedName"], ["dataProduct", "name"]]
                .compactMap { input.string(at: $0) }
            if candidates.isEmpty { return "its filter names products and the input has no dataProduct" }
            if !candidates.contains(where: { Self.matches($0, products) }) {
                return "data product '\(candidates[0])' is not one of \(Self.list(products))"
            }
        }
        if !executors.isEmpty {
            guard let executor = input.string(at: ["task", "executor"]) else {
                return "its filter names executors and the input has no task.executor"
            }
            if !Self.matches(executor, executors) {
                return "executor '\(executor)' is not one of \(Self.list(executors))"
            }
        }
        return nil
    }

    private static func list(_ names: [String]) -> String {
        "[" + names.joined(separator: ", ") + "]"
    }

    static func matches(_ value: String, _ patterns: [String]) -> Bool {
        patterns.contains { glob($0, matches: value) }
    }

    /// `*` matches any run of characters; everything else matches itself.
    static func glob(_ pattern: String, matches value: String) -> Bool {
        let p = Array(pattern.utf8), v = Array(value.utf8)
        var pi = 0, vi = 0, star = -1, mark = 0
        while vi < v.count {
            if pi < p.count, p[pi] == v[vi] {
                pi += 1
                vi += 1
            } else if pi < p.count, p[pi] == UInt8(ascii: "*") {
                star = pi
                mark = vi
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                vi = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
