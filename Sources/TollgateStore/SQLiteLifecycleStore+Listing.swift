public import Foundation
public import TollgateLifecycle
import TollgateSQLite

extension SQLiteLifecycleStore {
    /// Every stage record, oldest first.
    public func allStageRecords() throws -> [StageRecord] {
        try withConnection { db in
            try db.statement("SELECT \(StoreCoding.stageColumns) FROM lifecycles ORDER BY id").rows([], StoreCoding.stageRecord)
        }
    }

    /// Every task, oldest first.
    public func allTasks() throws -> [LifecycleTask] {
        try withConnection { db in
            try db.statement("SELECT \(StoreCoding.taskColumns) FROM tasks ORDER BY id").rows([], StoreCoding.task)
        }
    }

    /// Execution history entries of one kind (`executor-error`, ...).
    public func historyCount(kind: String) throws -> Int {
        try withConnection { db in
            Int(try db.statement("SELECT COUNT(*) FROM execution_history WHERE kind = ?").first([kind]) { $0.int64(0) } ?? 0)
        }
    }

    /// The newest decisions since `since`, without their inputs; a row that does not read is skipped.
    public func decisionDigests(since: Date, limit: Int) throws -> [DecisionDigest] {
        try withConnection { db in
            try db.statement("SELECT created_at, verdict, outcomes FROM decisions WHERE created_at >= ? ORDER BY seq DESC LIMIT ?")
                .rows([Timestamp.formatMilliseconds(since), limit]) { DecisionDigest(createdAt: $0.string(0), verdict: $0.string(1), outcomes: $0.string(2)) }
                .compactMap { $0 }
        }
    }

    /// How many tasks are in each status.
    public func taskCounts() throws -> [TaskStatus: Int] {
        try withConnection { db in
            let rows = try db.statement("SELECT status, COUNT(*) FROM tasks GROUP BY status").rows([]) { ($0.string(0), Int($0.int64(1))) }
            return Dictionary(rows.compactMap { status, count in TaskStatus(rawValue: status).map { ($0, count) } }, uniquingKeysWith: +)
        }
    }
}

extension SQLiteLifecycleStore {
    /// The newest activities, newest first.
    public func recentActivities(limit: Int) throws -> [Activity] {
        try withConnection { db in
            try db.statement("SELECT \(StoreCoding.activitySelection) FROM activities ORDER BY id DESC LIMIT ?").rows([limit], StoreCoding.activity)
        }
    }
}
