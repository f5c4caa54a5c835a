import TollgateJSON
public import TollgateLifecycle

/// An export of the decisions a filter selects, produced a chunk at a time: NDJSON lines (built
/// from the stored text) or CSV rows, ending with the log position and hash the export covers.
/// It covers the log as it was when it began, whatever is added meanwhile.
public struct DecisionExport {
    public enum Format: String, Sendable {
        case ndjson
        case csv
    }

    /// Decisions read and rendered per piece: small enough that exports running side by side stay
    /// within a few megabytes each, large enough that the reads stay a small part of the work.
    static let pageSize = 250

    let store: any AuditStore
    let format: Format
    let head: (sequence: Int64, hash: String)?
    let limit: Int?
    var page: DecisionFilter
    var count = 0
    var started = false
    var done = false

    public init(store: any AuditStore, filter: DecisionFilter, format: Format) async throws {
        self.store = store
        self.format = format
        head = try await store.chainHead()
        limit = filter.limit
        page = filter
    }

    /// Decisions exported so far.
    public var exported: Int { count }

    /// The next piece of the export; nil once the trailer was given.
    public mutating func next() async throws -> String? {
        if done { return nil }
        var text = ""
        if !started {
            started = true
            if format == .csv { text += DecisionRendering.csvHeader.joined(separator: ",") + "\n" }
        }
        let end = head?.sequence ?? 0
        var last: Int64?
        if limit.map({ count < $0 }) ?? true {
            page.limit = min(Self.pageSize, limit.map { $0 - count } ?? Self.pageSize)
            switch format {
            case .csv:
                let records = try await store.decisions(matching: page).filter { $0.sequence <= end }
                for record in records { text += DecisionRendering.csvRow(record) + "\n" }
                count += records.count
                last = records.last?.sequence
            case .ndjson:
                let stored = try await store.storedDecisions(matching: page).filter { $0.record.sequence <= end }
                for decision in stored { text += DecisionRendering.ndjsonLine(decision) + "\n" }
                count += stored.count
                last = stored.last?.record.sequence
            }
        }
        if let last {
            page.after = last
            return text
        }
        done = true
        let trailer = DecisionRendering.exportTrailer(head: head, count: count).serialized()
        return text + (format == .csv ? "# " + trailer : trailer) + "\n"
    }
}
