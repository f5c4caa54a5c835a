import TollgateSQLite

/// The SQLite schema, as numbered migrations (recorded in `PRAGMA user_version`).
enum StoreSchema {
    static let migrations: [String] = [
        """
        CREATE TABLE activities (
            id INTEGER PRIMARY KEY,
            data_product_id TEXT NOT NULL,
            data_product_version TEXT NOT NULL,
            stage TEXT NOT NULL,
            status TEXT NOT NULL,
            results TEXT,
            errors TEXT,
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            principal TEXT,
            descriptor TEXT
        );
        CREATE INDEX activities_by_version ON activities (data_product_id, data_product_version, stage, status);

        CREATE TABLE tasks (
            id INTEGER PRIMARY KEY,
            activity_id INTEGER NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            key TEXT NOT NULL,
            name TEXT,
            executor TEXT,
            template TEXT,
            configurations TEXT,
            dispatched_configurations TEXT,
            status TEXT NOT NULL,
            results TEXT,
            errors TEXT,
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            timeout_seconds INTEGER
        );
        CREATE INDEX tasks_by_activity ON tasks (activity_id, position);
        CREATE INDEX tasks_by_status ON tasks (status);

        CREATE TABLE lifecycles (
            id INTEGER PRIMARY KEY,
            data_product_id TEXT NOT NULL,
            data_product_version TEXT NOT NULL,
            stage TEXT NOT NULL,
            activity_id INTEGER NOT NULL,
            results TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT
        );
        CREATE INDEX lifecycles_by_version ON lifecycles (data_product_id, data_product_version);

        CREATE TABLE decisions (
            seq INTEGER PRIMARY KEY,
            phase TEXT NOT NULL,
            verdict TEXT NOT NULL,
            data_product_id TEXT NOT NULL,
            data_product_version TEXT NOT NULL,
            stage TEXT NOT NULL,
            activity_id INTEGER NOT NULL,
            task_id INTEGER,
            principal TEXT,
            policy_set_revision TEXT NOT NULL,
            gated_change TEXT NOT NULL,
            created_at TEXT NOT NULL,
            input TEXT NOT NULL,
            outcomes TEXT NOT NULL,
            previous_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX decisions_by_activity ON decisions (activity_id);
        CREATE TRIGGER decisions_are_append_only_update BEFORE UPDATE ON decisions
            BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
        CREATE TRIGGER decisions_are_append_only_delete BEFORE DELETE ON decisions
            BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;

        CREATE TABLE policy_sources (
            revision TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            file TEXT NOT NULL,
            source TEXT NOT NULL
        );

        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            task_id INTEGER,
            payload TEXT NOT NULL,
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            done_at TEXT,
            last_error TEXT
        );
        CREATE INDEX outbox_pending ON outbox (id) WHERE done_at IS NULL;
        CREATE INDEX outbox_by_task ON outbox (task_id, kind);

        CREATE TABLE transitions (
            id INTEGER PRIMARY KEY,
            entity TEXT NOT NULL,
            entity_id INTEGER NOT NULL,
            from_status TEXT,
            to_status TEXT NOT NULL,
            at TEXT NOT NULL,
            decision_seq INTEGER REFERENCES decisions (seq)
        );
        CREATE INDEX transitions_by_entity ON transitions (entity, entity_id);

        CREATE TABLE execution_history (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            message TEXT NOT NULL,
            data TEXT
        );
        CREATE INDEX execution_history_by_task ON execution_history (task_id, id);
        """,
        // 2: decisions looked up by task.
        """
        CREATE INDEX decisions_by_task ON decisions (task_id) WHERE task_id IS NOT NULL;
        """,
        // 3: what the executor answered when it took a task (pipeline or run id).
        """
        ALTER TABLE tasks ADD COLUMN executor_ref TEXT;
        """,
        // 4: the auditor's queries: by product and phase over time, by time, by requester.
        """
        CREATE INDEX decisions_by_product ON decisions (data_product_id, phase, created_at);
        CREATE INDEX decisions_by_time ON decisions (created_at);
        CREATE INDEX decisions_by_principal ON decisions (principal) WHERE principal IS NOT NULL;
        """,
        // 5: retention: pruning up to a recorded checkpoint, never while a legal hold is set.
        """
        CREATE TABLE decision_checkpoints (
            id INTEGER PRIMARY KEY,
            through_seq INTEGER NOT NULL,
            through_hash TEXT NOT NULL,
            pruned INTEGER NOT NULL,
            horizon TEXT NOT NULL,
            at TEXT NOT NULL,
            principal TEXT
        );
        CREATE TRIGGER decision_checkpoints_are_append_only_update BEFORE UPDATE ON decision_checkpoints
            BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
        CREATE TRIGGER decision_checkpoints_are_append_only_delete BEFORE DELETE ON decision_checkpoints
            BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
        CREATE TABLE legal_holds (
            name TEXT PRIMARY KEY,
            reason TEXT NOT NULL,
            set_at TEXT NOT NULL,
            principal TEXT
        );
        DROP TRIGGER decisions_are_append_only_delete;
        CREATE TRIGGER decisions_are_append_only_delete BEFORE DELETE ON decisions
            WHEN OLD.seq > COALESCE((SELECT MAX(through_seq) FROM decision_checkpoints), 0) OR EXISTS (SELECT 1 FROM legal_holds)
            BEGIN SELECT RAISE(ABORT, 'the decision log is append-only; only decisions up to a checkpoint may be pruned, and none under a legal hold'); END;
        """,
        // 6: verification finds each decision's state change by index, not by scanning them all.
        """
        CREATE INDEX transitions_by_decision ON transitions (decision_seq) WHERE decision_seq IS NOT NULL;
        """,
        // 7: a decision's input as content-addressed parts, so what repeats between decisions is stored once.
        """
        CREATE TABLE decision_parts (
            id INTEGER PRIMARY KEY,
            hash TEXT NOT NULL UNIQUE,
            body TEXT NOT NULL
        );
        CREATE TRIGGER decision_parts_are_append_only_update BEFORE UPDATE ON decision_parts
            BEGIN SELECT RAISE(ABORT, 'decision input parts are append-only'); END;
        CREATE TRIGGER decision_parts_are_kept_under_a_legal_hold BEFORE DELETE ON decision_parts
            WHEN EXISTS (SELECT 1 FROM legal_holds)
            BEGIN SELECT RAISE(ABORT, 'decision input parts are kept while a legal hold is set'); END;
        ALTER TABLE decisions ADD COLUMN input_split INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX decisions_with_split_input ON decisions (seq) WHERE input_split = 1;
        """,
        // 8: what several writers need: row versions on activities, leases with fencing tokens on
        // outbox intents and periodic duties, reserved ids, and the lifecycle's uniqueness rules
        // kept by the database (one PLANNED activity per version and stage, one PROCESSING per version).
        """
        ALTER TABLE activities ADD COLUMN row_version INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
        ALTER TABLE outbox ADD COLUMN lease_until REAL;
        ALTER TABLE outbox ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE duty_leases (
            name TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            lease_until REAL NOT NULL,
            fence INTEGER NOT NULL
        );
        CREATE TABLE id_reservations (kind TEXT PRIMARY KEY, last INTEGER NOT NULL);
        INSERT INTO id_reservations (kind, last) VALUES
            ('activity', (SELECT COALESCE(MAX(id), 0) FROM activities)),
            ('task', (SELECT COALESCE(MAX(id), 0) FROM tasks));
        CREATE UNIQUE INDEX activities_one_planned ON activities (data_product_id, data_product_version, stage)
            WHERE status = 'PLANNED';
        CREATE UNIQUE INDEX activities_one_processing ON activities (data_product_id, data_product_version)
            WHERE status = 'PROCESSING';
        """,
    ]

    /// Brings the database to the newest schema, one migration per transaction.
    static func migrate(_ db: SQLiteConnection) throws {
        let version = try db.statement("PRAGMA user_version").first { Int($0.int64(0)) } ?? 0
        guard version <= migrations.count else {
            throw SQLiteError(
                code: 0,
                message: "the database was written by a newer Tollgate (schema \(version), this one knows \(migrations.count)); upgrade Tollgate")
        }
        for index in version..<migrations.count {
            try db.transaction {
                try db.execute(migrations[index])
                try db.execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }
}
