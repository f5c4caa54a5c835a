/// The PostgreSQL schema, as numbered migrations of one statement each (the extended protocol
/// runs one statement at a time), recorded in `schema_migrations`.
///
/// It holds what the SQLite schema holds, in the same shapes: texts that are hashed (decision
/// inputs and outcomes, timestamps) stay `TEXT`, byte for byte as the chain hashed them (`jsonb`
/// would reorder keys), so both stores verify with one implementation. What several replicas need
/// on top: a row version on activities for optimistic writes, leases with fencing tokens on outbox
/// intents and periodic duties, the chain head as one row, and the policy set's revision as one row.
enum PostgresSchema {
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE activities (
                id BIGSERIAL PRIMARY KEY,
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
                descriptor TEXT,
                row_version BIGINT NOT NULL DEFAULT 1
            )
            """,
            "CREATE INDEX activities_by_version ON activities (data_product_id, data_product_version, stage, status)",
            """
            CREATE TABLE tasks (
                id BIGSERIAL PRIMARY KEY,
                activity_id BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
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
                timeout_seconds INTEGER,
                executor_ref TEXT
            )
            """,
            "CREATE INDEX tasks_by_activity ON tasks (activity_id, position)",
            "CREATE INDEX tasks_by_status ON tasks (status)",
            """
            CREATE TABLE lifecycles (
                id BIGSERIAL PRIMARY KEY,
                data_product_id TEXT NOT NULL,
                data_product_version TEXT NOT NULL,
                stage TEXT NOT NULL,
                activity_id BIGINT NOT NULL,
                results TEXT,
                started_at TEXT NOT NULL,
                finished_at TEXT
            )
            """,
            "CREATE INDEX lifecycles_by_version ON lifecycles (data_product_id, data_product_version)",
            """
            CREATE TABLE decisions (
                seq BIGINT PRIMARY KEY,
                phase TEXT NOT NULL,
                verdict TEXT NOT NULL,
                data_product_id TEXT NOT NULL,
                data_product_version TEXT NOT NULL,
                stage TEXT NOT NULL,
                activity_id BIGINT NOT NULL,
                task_id BIGINT,
                principal TEXT,
                policy_set_revision TEXT NOT NULL,
                gated_change TEXT NOT NULL,
                created_at TEXT NOT NULL,
                input TEXT NOT NULL,
                outcomes TEXT NOT NULL,
                previous_hash TEXT NOT NULL,
                hash TEXT NOT NULL,
                input_split BOOLEAN NOT NULL DEFAULT FALSE
            )
            """,
            "CREATE INDEX decisions_by_activity ON decisions (activity_id)",
            "CREATE INDEX decisions_by_task ON decisions (task_id) WHERE task_id IS NOT NULL",
            "CREATE INDEX decisions_by_product ON decisions (data_product_id, phase, created_at)",
            "CREATE INDEX decisions_by_time ON decisions (created_at)",
            "CREATE INDEX decisions_by_principal ON decisions (principal) WHERE principal IS NOT NULL",
            "CREATE INDEX decisions_with_split_input ON decisions (seq) WHERE input_split",
            // The chain's head: appending a decision locks this row, so the sequence stays gapless
            // and each hash names the one before it, whichever replica appends.
            "CREATE TABLE decision_chain_head (only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row), seq BIGINT NOT NULL, hash TEXT NOT NULL)",
            """
            CREATE TABLE decision_parts (
                id BIGSERIAL PRIMARY KEY,
                hash TEXT NOT NULL UNIQUE,
                body TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE decision_checkpoints (
                id BIGSERIAL PRIMARY KEY,
                through_seq BIGINT NOT NULL,
                through_hash TEXT NOT NULL,
                pruned BIGINT NOT NULL,
                horizon TEXT NOT NULL,
                at TEXT NOT NULL,
                principal TEXT
            )
            """,
            "CREATE TABLE legal_holds (name TEXT PRIMARY KEY, reason TEXT NOT NULL, set_at TEXT NOT NULL, principal TEXT)",
            """
            CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
            END $$
            """,
            """
            CREATE TRIGGER decisions_are_append_only_update BEFORE UPDATE ON decisions
                FOR EACH ROW EXECUTE FUNCTION refuse_change('the decision log is append-only')
            """,
            """
            CREATE FUNCTION decisions_prunable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.seq > COALESCE((SELECT MAX(through_seq) FROM decision_checkpoints), 0) OR EXISTS (SELECT 1 FROM legal_holds) THEN
                    RAISE EXCEPTION 'the decision log is append-only; only decisions up to a checkpoint may be pruned, and none under a legal hold'
                        USING ERRCODE = 'restrict_violation';
                END IF;
                RETURN OLD;
            END $$
            """,
            "CREATE TRIGGER decisions_are_append_only_delete BEFORE DELETE ON decisions FOR EACH ROW EXECUTE FUNCTION decisions_prunable()",
            """
            CREATE TRIGGER decision_checkpoints_are_append_only BEFORE UPDATE OR DELETE ON decision_checkpoints
                FOR EACH ROW EXECUTE FUNCTION refuse_change('checkpoints are append-only')
            """,
            """
            CREATE TRIGGER decision_parts_are_append_only_update BEFORE UPDATE ON decision_parts
                FOR EACH ROW EXECUTE FUNCTION refuse_change('decision input parts are append-only')
            """,
            """
            CREATE FUNCTION decision_parts_prunable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM legal_holds) THEN
                    RAISE EXCEPTION 'decision input parts are kept while a legal hold is set' USING ERRCODE = 'restrict_violation';
                END IF;
                RETURN OLD;
            END $$
            """,
            "CREATE TRIGGER decision_parts_are_kept_under_a_legal_hold BEFORE DELETE ON decision_parts FOR EACH ROW EXECUTE FUNCTION decision_parts_prunable()",
            "CREATE TABLE policy_sources (revision TEXT PRIMARY KEY, name TEXT NOT NULL, file TEXT NOT NULL, source TEXT NOT NULL)",
            // The policy set every replica judges with; a reload anywhere bumps it, the others follow.
            "CREATE TABLE policy_set (only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row), revision TEXT NOT NULL, published_at TIMESTAMPTZ NOT NULL)",
            // Intents are carried out by the replica holding their lease; `fence` grows with each
            // lease, and completing an intent is conditional on the fence it was claimed with.
            """
            CREATE TABLE outbox (
                id BIGSERIAL PRIMARY KEY,
                kind TEXT NOT NULL,
                task_id BIGINT,
                payload TEXT NOT NULL,
                created_at TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at TEXT,
                done_at TEXT,
                last_error TEXT,
                lease_owner TEXT,
                lease_until TIMESTAMPTZ,
                fence BIGINT NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX outbox_pending ON outbox (id) WHERE done_at IS NULL",
            "CREATE INDEX outbox_by_task ON outbox (task_id, kind)",
            // Periodic duties (timeouts, polling, recovery), leased the same way.
            "CREATE TABLE duty_leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, lease_until TIMESTAMPTZ NOT NULL, fence BIGINT NOT NULL)",
            """
            CREATE TABLE transitions (
                id BIGSERIAL PRIMARY KEY,
                entity TEXT NOT NULL,
                entity_id BIGINT NOT NULL,
                from_status TEXT,
                to_status TEXT NOT NULL,
                at TEXT NOT NULL,
                decision_seq BIGINT REFERENCES decisions (seq)
            )
            """,
            "CREATE INDEX transitions_by_entity ON transitions (entity, entity_id)",
            "CREATE INDEX transitions_by_decision ON transitions (decision_seq) WHERE decision_seq IS NOT NULL",
            """
            CREATE TABLE execution_history (
                id BIGSERIAL PRIMARY KEY,
                task_id BIGINT NOT NULL,
                at TEXT NOT NULL,
                kind TEXT NOT NULL,
                message TEXT NOT NULL,
                data TEXT
            )
            """,
            "CREATE INDEX execution_history_by_task ON execution_history (task_id, id)",
        ],
        // 2: the lifecycle's uniqueness rules kept by the database, whichever replica writes: one PLANNED
        // activity per version and stage, one PROCESSING activity per version.
        [
            "CREATE UNIQUE INDEX activities_one_planned ON activities (data_product_id, data_product_version, stage) WHERE status = 'PLANNED'",
            "CREATE UNIQUE INDEX activities_one_processing ON activities (data_product_id, data_product_version) WHERE status = 'PROCESSING'",
        ],
        // 3: decisions appended in one statement each, which moves the chain head and hashes there:
        // the head exists from the start and keeps the hash it followed.
        [
            "ALTER TABLE decision_chain_head ADD COLUMN previous_hash TEXT NOT NULL DEFAULT ''",
            "INSERT INTO decision_chain_head (only_row, seq, hash) VALUES (TRUE, 0, '') ON CONFLICT (only_row) DO NOTHING",
        ],
        // 4: a change set written by one call, so one statement's transaction: no client round trip
        // between the chain head's lock and the commit that releases it (see `PostgresCommit`).
        [PostgresCommitFunction.sql],
    ]
}
