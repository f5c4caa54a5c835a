/// The reads every activity makes several times, run as prepared statements (see `Prepared`).
enum PreparedReads {
    enum ActivityById: PreparedSQL {
        static let sql = "SELECT \(StoredRows.activityColumns) FROM activities WHERE id = $1"
    }

    enum ActivitiesMatching: PreparedSQL {
        static let sql = """
            SELECT \(StoredRows.activityColumns) FROM activities
            WHERE ($1::TEXT IS NULL OR data_product_id = $1) AND ($2::TEXT IS NULL OR data_product_version = $2)
              AND ($3::TEXT IS NULL OR stage = $3) AND ($4::TEXT IS NULL OR status = $4)
            ORDER BY id
            """
    }

    enum TaskById: PreparedSQL {
        static let sql = "SELECT \(StoredRows.taskColumns) FROM tasks WHERE id = $1"
    }

    enum TasksOfActivity: PreparedSQL {
        static let sql = "SELECT \(StoredRows.taskColumns) FROM tasks WHERE activity_id = $1 ORDER BY position"
    }

    enum StageRecordsOfVersion: PreparedSQL {
        static let sql = """
            SELECT \(StoredRows.stageColumns) FROM lifecycles WHERE data_product_id = $1 AND data_product_version = $2 ORDER BY id
            """
    }
}
