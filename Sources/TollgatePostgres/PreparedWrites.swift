/// The writes every activity makes, run as prepared statements (see `Prepared`).
enum PreparedWrites {
    /// One decision appended: the chain head moved (and locked until the commit), the decision hashed
    /// after the head's hash (`$1` and `$2` are the hashed bytes around the sequence's field, see
    /// `DecisionChain.Canonical.hashedAroundPosition`) and inserted with its input parts (`$23`,
    /// `$24`), and the transitions given (`$17`…`$22`; a citation of -1 is this decision).
    enum AppendDecision: PreparedSQL {
        static let sql = """
            WITH head AS (
                UPDATE decision_chain_head SET seq = seq + 1, previous_hash = hash,
                    hash = encode(sha256($1::BYTEA || convert_to(length((seq + 1)::text) || ':' || (seq + 1)::text, 'UTF8')
                        || $2::BYTEA || convert_to(octet_length(hash) || ':' || hash, 'UTF8')), 'hex')
                RETURNING seq, previous_hash, hash
            ), appended AS (
                INSERT INTO decisions (seq, phase, verdict, data_product_id, data_product_version, stage, activity_id, task_id,
                    principal, policy_set_revision, gated_change, created_at, input, outcomes, previous_hash, hash, input_split)
                SELECT head.seq, $3::TEXT, $4::TEXT, $5::TEXT, $6::TEXT, $7::TEXT, $8::BIGINT, $9::BIGINT, $10::TEXT, $11::TEXT,
                    $12::TEXT, $13::TEXT, $14::TEXT, $15::TEXT, head.previous_hash, head.hash, $16::BOOLEAN
                FROM head
                RETURNING seq, previous_hash, hash
            ), recorded AS (
                INSERT INTO transitions (entity, entity_id, from_status, to_status, at, decision_seq)
                SELECT e, i, NULLIF(f, ''), t, a, CASE WHEN d = -1 THEN (SELECT seq FROM appended) ELSE NULLIF(d, 0) END
                FROM UNNEST($17::TEXT[], $18::BIGINT[], $19::TEXT[], $20::TEXT[], $21::TEXT[], $22::BIGINT[]) AS x(e, i, f, t, a, d)
            ), stored AS (
                INSERT INTO decision_parts (hash, body) SELECT h, b FROM UNNEST($23::TEXT[], $24::TEXT[]) AS x(h, b)
                ON CONFLICT (hash) DO NOTHING
            )
            SELECT seq, previous_hash, hash FROM appended
            """
    }

    /// A task written whole: inserted, or its changing fields updated.
    enum UpsertTask: PreparedSQL {
        static let sql = """
            INSERT INTO tasks (id, activity_id, position, key, name, executor, template, configurations, dispatched_configurations, status,
                results, errors, created_at, started_at, finished_at, timeout_seconds, executor_ref)
            VALUES ($1::BIGINT, $2::BIGINT, $3::BIGINT, $4::TEXT, $5::TEXT, $6::TEXT, $7::TEXT, $8::TEXT, $9::TEXT, $10::TEXT, $11::TEXT,
                $12::TEXT, $13::TEXT, $14::TEXT, $15::TEXT, $16::BIGINT, $17::TEXT)
            ON CONFLICT (id) DO UPDATE SET dispatched_configurations = excluded.dispatched_configurations, status = excluded.status,
                results = excluded.results, errors = excluded.errors, started_at = excluded.started_at, finished_at = excluded.finished_at,
                timeout_seconds = excluded.timeout_seconds, executor_ref = excluded.executor_ref
            """
    }

    /// A read activity updated, unless it moved on from row version `$7` (then no row returns).
    enum UpdateActivityAtVersion: PreparedSQL {
        static let sql = """
            UPDATE activities SET status = $1::TEXT, results = $2::TEXT, errors = $3::TEXT, started_at = $4::TEXT, finished_at = $5::TEXT,
                row_version = row_version + 1
            WHERE id = $6::BIGINT AND row_version = $7::BIGINT RETURNING id
            """
    }

    /// A new activity.
    enum InsertActivity: PreparedSQL {
        static let sql = """
            INSERT INTO activities (id, data_product_id, data_product_version, stage, status, results, errors, created_at, started_at,
                finished_at, principal, descriptor)
            VALUES ($1::BIGINT, $2::TEXT, $3::TEXT, $4::TEXT, $5::TEXT, $6::TEXT, $7::TEXT, $8::TEXT, $9::TEXT, $10::TEXT, $11::TEXT, $12::TEXT)
            """
    }

    /// A new outbox intent, leased to `$6` (when not NULL) for `$7` seconds with fence `$8`.
    enum InsertIntent: PreparedSQL {
        static let sql = """
            INSERT INTO outbox (kind, task_id, payload, created_at, attempts, lease_owner, lease_until, fence)
            VALUES ($1::TEXT, $2::BIGINT, $3::TEXT, $4::TEXT, $5::BIGINT, $6::TEXT,
                CASE WHEN $6::TEXT IS NULL THEN NULL ELSE now() + make_interval(secs => $7::FLOAT8) END, $8::BIGINT)
            RETURNING id
            """
    }

    /// An outbox intent carried out (or given up), unless it was leased again since fence `$4`.
    enum CompleteIntent: PreparedSQL {
        static let sql = """
            UPDATE outbox SET done_at = $1::TEXT, attempts = attempts + 1, last_error = $2::TEXT, lease_owner = NULL, lease_until = NULL
            WHERE id = $3::BIGINT AND ($4::BIGINT IS NULL OR fence = $4::BIGINT) RETURNING id
            """
    }

    /// A lease on an outbox intent renewed, if `$3` still holds it under fence `$4`.
    enum RenewIntent: PreparedSQL {
        static let sql = """
            UPDATE outbox SET lease_until = now() + make_interval(secs => $1::FLOAT8)
            WHERE id = $2::BIGINT AND lease_owner = $3::TEXT AND fence = $4::BIGINT RETURNING id
            """
    }

    /// A new stage record.
    enum InsertStageRecord: PreparedSQL {
        static let sql = """
            INSERT INTO lifecycles (data_product_id, data_product_version, stage, activity_id, results, started_at, finished_at)
            VALUES ($1::TEXT, $2::TEXT, $3::TEXT, $4::BIGINT, $5::TEXT, $6::TEXT, $7::TEXT)
            """
    }

    /// Ids for `$1` new activities and `$2` new tasks, from the tables' sequences.
    enum NewIds: PreparedSQL {
        static let sql = """
            SELECT 'activity', nextval('activities_id_seq') FROM generate_series(1, $1::BIGINT)
            UNION ALL SELECT 'task', nextval('tasks_id_seq') FROM generate_series(1, $2::BIGINT)
            """
    }

    /// The history entries of a commit (an empty string stands for no data).
    enum InsertHistory: PreparedSQL {
        static let sql = """
            INSERT INTO execution_history (task_id, at, kind, message, data)
            SELECT t, a, k, m, NULLIF(d, '') FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[]) AS x(t, a, k, m, d)
            """
    }
}
