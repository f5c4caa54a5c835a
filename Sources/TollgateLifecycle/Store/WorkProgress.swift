import Synchronization

/// How far a long piece of work (verifying, copying, exporting a log) has got: counted by the
/// work, from any thread, and read by whoever shows it.
public final class WorkProgress: Sendable {
    private let doneCount = Atomic<Int64>(0)
    private let totalCount = Atomic<Int64>(-1)

    public init() {}

    /// Items done so far.
    public var done: Int64 { doneCount.load(ordering: .relaxed) }
    /// Items the work will do, once known.
    public var total: Int64? {
        let total = totalCount.load(ordering: .relaxed)
        return total < 0 ? nil : total
    }

    public func add(_ items: Int64) { doneCount.add(items, ordering: .relaxed) }
    public func addTotal(_ items: Int64) { _ = totalCount.compareExchange(expected: -1, desired: 0, ordering: .relaxed); totalCount.add(items, ordering: .relaxed) }
}
