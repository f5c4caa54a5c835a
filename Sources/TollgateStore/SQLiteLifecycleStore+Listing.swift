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
}
