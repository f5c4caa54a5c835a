/// The writes every activity makes, run as prepared statements (see `Prepared`).
enum PreparedWrites {
    /// A whole change set, in one statement (see `PostgresCommitFunction`).
    enum Commit: PreparedSQL {
        static let sql = "SELECT row_kind, row_id, row_previous_hash, row_hash FROM tollgate_commit($1::TEXT::JSONB, $2::BYTEA[], $3::BYTEA[])"
    }

    /// A lease on an outbox intent renewed, if `$3` still holds it under fence `$4`.
    enum RenewIntent: PreparedSQL {
        static let sql = """
            UPDATE outbox SET lease_until = now() + make_interval(secs => $1::FLOAT8)
            WHERE id = $2::BIGINT AND lease_owner = $3::TEXT AND fence = $4::BIGINT RETURNING id
            """
    }

    /// Ids for `$1` new activities and `$2` new tasks, from the tables' sequences.
    enum NewIds: PreparedSQL {
        static let sql = """
            SELECT 'activity', nextval('activities_id_seq') FROM generate_series(1, $1::BIGINT)
            UNION ALL SELECT 'task', nextval('tasks_id_seq') FROM generate_series(1, $2::BIGINT)
            """
    }
}
