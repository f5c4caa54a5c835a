import Foundation
public import TollgateLifecycle
import TollgateSQLite

extension SQLiteLifecycleStore {
    /// A task's execution history in the order it happened: dispatches, executor errors, results,
    /// job logs, cancellations.
    public func history(taskId: Int64) throws -> [ExecutionEvent] {
        try withConnection { db in
            try db.statement("SELECT task_id, at, kind, message, data FROM execution_history WHERE task_id = ? ORDER BY id")
                .rows([taskId]) { row in
                    ExecutionEvent(
                        taskId: row.int64(0), at: StoreCoding.date(row.string(1)) ?? .distantPast, kind: row.string(2),
                        message: row.string(3), data: StoreCoding.json(row.optionalString(4)))
                }
        }
    }
}
