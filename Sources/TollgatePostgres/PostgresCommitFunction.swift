/// `tollgate_commit(changes, hashed_before, hashed_between)`: a whole change set written in one statement, whose
/// transaction is the statement's own, so the chain head's lock is held only for the appends and
/// the commit, never across a round trip to a replica (with three replicas on two cores an append
/// waited 50 ms for the lock when each commit took several round trips).
///
/// `changes` is the document `PostgresCommit` builds: column values by column name, texts exactly
/// as they are stored and hashed. `hashed_before[i]` and `hashed_between[i]` are the hashed bytes around the
/// sequence's field of decision `i` (see `DecisionChain.Canonical.hashedAroundPosition`).
/// Returns a row per new outbox intent (`intent`, its id) and then per decision (`decision`, its
/// sequence, previous hash and hash), in the change set's order. An activity that moved on from its
/// expected row version raises `TG001`; an intent leased again since its fence raises `TG002`; a
/// commit that would end after `changes.deadline` (seconds since 1970, the database's clock)
/// raises `TG003`.
enum PostgresCommitFunction {
    static let sql = """
        CREATE FUNCTION tollgate_commit(changes JSONB, hashed_before BYTEA[], hashed_between BYTEA[])
        RETURNS TABLE (row_kind TEXT, row_id BIGINT, row_previous_hash TEXT, row_hash TEXT)
        LANGUAGE plpgsql AS $$
        DECLARE
            e RECORD;
            item JSONB;
            head RECORD;
            n INTEGER := 0;
            new_id BIGINT;
            sequences BIGINT[] := '{}';
        BEGIN
            -- One writer per activity: each expected activity moves to its next row version.
            IF changes ? 'expected' THEN
                FOR e IN SELECT * FROM jsonb_to_recordset(changes->'expected') AS x(id BIGINT, version BIGINT, changed BOOLEAN,
                    status TEXT, results TEXT, errors TEXT, started_at TEXT, finished_at TEXT)
                LOOP
                    IF e.changed THEN
                        UPDATE activities a SET status = e.status, results = e.results, errors = e.errors, started_at = e.started_at,
                            finished_at = e.finished_at, row_version = a.row_version + 1
                        WHERE a.id = e.id AND a.row_version = e.version;
                    ELSE
                        UPDATE activities a SET row_version = a.row_version + 1 WHERE a.id = e.id AND a.row_version = e.version;
                    END IF;
                    IF NOT FOUND THEN
                        RAISE EXCEPTION 'activity % changed since it was read (expected version %)', e.id, e.version USING ERRCODE = 'TG001';
                    END IF;
                END LOOP;
            END IF;

            IF changes ? 'new_activities' THEN
                INSERT INTO activities (id, data_product_id, data_product_version, stage, status, results, errors, created_at, started_at,
                    finished_at, principal, descriptor)
                SELECT x.id, x.data_product_id, x.data_product_version, x.stage, x.status, x.results, x.errors, x.created_at, x.started_at,
                    x.finished_at, x.principal, x.descriptor
                FROM jsonb_to_recordset(changes->'new_activities') AS x(id BIGINT, data_product_id TEXT, data_product_version TEXT, stage TEXT,
                    status TEXT, results TEXT, errors TEXT, created_at TEXT, started_at TEXT, finished_at TEXT, principal TEXT, descriptor TEXT);
            END IF;

            IF changes ? 'activities' THEN
                UPDATE activities a SET status = x.status, results = x.results, errors = x.errors, started_at = x.started_at,
                    finished_at = x.finished_at
                FROM jsonb_to_recordset(changes->'activities') AS x(id BIGINT, status TEXT, results TEXT, errors TEXT, started_at TEXT,
                    finished_at TEXT)
                WHERE a.id = x.id;
            END IF;

            IF changes ? 'tasks' THEN
                INSERT INTO tasks (id, activity_id, position, key, name, executor, template, configurations, dispatched_configurations, status,
                    results, errors, created_at, started_at, finished_at, timeout_seconds, executor_ref)
                SELECT x.id, x.activity_id, x.position, x.key, x.name, x.executor, x.template, x.configurations, x.dispatched_configurations,
                    x.status, x.results, x.errors, x.created_at, x.started_at, x.finished_at, x.timeout_seconds, x.executor_ref
                FROM jsonb_to_recordset(changes->'tasks') AS x(id BIGINT, activity_id BIGINT, position INTEGER, key TEXT, name TEXT,
                    executor TEXT, template TEXT, configurations TEXT, dispatched_configurations TEXT, status TEXT, results TEXT, errors TEXT,
                    created_at TEXT, started_at TEXT, finished_at TEXT, timeout_seconds INTEGER, executor_ref TEXT)
                ON CONFLICT (id) DO UPDATE SET dispatched_configurations = excluded.dispatched_configurations, status = excluded.status,
                    results = excluded.results, errors = excluded.errors, started_at = excluded.started_at, finished_at = excluded.finished_at,
                    timeout_seconds = excluded.timeout_seconds, executor_ref = excluded.executor_ref;
            END IF;

            IF changes ? 'new_stage_records' THEN
                INSERT INTO lifecycles (data_product_id, data_product_version, stage, activity_id, results, started_at, finished_at)
                SELECT x.data_product_id, x.data_product_version, x.stage, x.activity_id, x.results, x.started_at, x.finished_at
                FROM jsonb_to_recordset(changes->'new_stage_records') AS x(data_product_id TEXT, data_product_version TEXT, stage TEXT,
                    activity_id BIGINT, results TEXT, started_at TEXT, finished_at TEXT);
            END IF;

            IF changes ? 'stage_records' THEN
                UPDATE lifecycles l SET finished_at = x.finished_at, results = x.results
                FROM jsonb_to_recordset(changes->'stage_records') AS x(id BIGINT, results TEXT, finished_at TEXT)
                WHERE l.id = x.id;
            END IF;

            IF changes ? 'policy_sources' THEN
                INSERT INTO policy_sources (revision, name, file, source)
                SELECT x.revision, x.name, x.file, x.source
                FROM jsonb_to_recordset(changes->'policy_sources') AS x(revision TEXT, name TEXT, file TEXT, source TEXT)
                ON CONFLICT (revision) DO NOTHING;
            END IF;

            -- Completions and retries are fenced: refused once the intent was leased again.
            IF changes ? 'outcomes' THEN
                FOR e IN SELECT * FROM jsonb_to_recordset(changes->'outcomes') AS x(id BIGINT, done BOOLEAN, error TEXT,
                    next_attempt_at TEXT, fence BIGINT)
                LOOP
                    UPDATE outbox o SET done_at = CASE WHEN e.done THEN changes->>'now' ELSE o.done_at END, attempts = o.attempts + 1,
                        last_error = e.error, next_attempt_at = CASE WHEN e.done THEN o.next_attempt_at ELSE e.next_attempt_at END,
                        lease_owner = NULL, lease_until = NULL
                    WHERE o.id = e.id AND (e.fence IS NULL OR o.fence = e.fence);
                    IF NOT FOUND THEN
                        RAISE EXCEPTION 'outbox intent % was leased again; its % is refused', e.id,
                            CASE WHEN e.done THEN 'completion' ELSE 'retry' END USING ERRCODE = 'TG002';
                    END IF;
                END LOOP;
            END IF;

            IF changes ? 'intents' THEN
                FOR item IN SELECT x.value FROM jsonb_array_elements(changes->'intents') WITH ORDINALITY AS x(value, place) ORDER BY x.place
                LOOP
                    INSERT INTO outbox (kind, task_id, payload, created_at, attempts, lease_owner, lease_until, fence)
                    VALUES (item->>'kind', (item->>'task_id')::BIGINT, item->>'payload', item->>'created_at', (item->>'attempts')::INTEGER,
                        item->>'lease_owner',
                        CASE WHEN item->>'lease_owner' IS NULL THEN NULL ELSE now() + make_interval(secs => (item->>'lease_seconds')::FLOAT8) END,
                        (item->>'fence')::BIGINT)
                    RETURNING outbox.id INTO new_id;
                    row_kind := 'intent';
                    row_id := new_id;
                    row_previous_hash := NULL;
                    row_hash := NULL;
                    RETURN NEXT;
                END LOOP;
            END IF;

            IF changes ? 'history' THEN
                INSERT INTO execution_history (task_id, at, kind, message, data)
                SELECT x.task_id, x.at, x.kind, x.message, x.data
                FROM jsonb_to_recordset(changes->'history') AS x(task_id BIGINT, at TEXT, kind TEXT, message TEXT, data TEXT);
            END IF;

            IF changes ? 'parts' THEN
                INSERT INTO decision_parts (hash, body)
                SELECT x.hash, x.body FROM jsonb_to_recordset(changes->'parts') AS x(hash TEXT, body TEXT)
                ON CONFLICT (hash) DO NOTHING;
            END IF;

            -- Last: each decision moves the chain head (locked until this statement's commit) and is
            -- hashed after the head's hash, as DecisionChain hashes it.
            IF changes ? 'decisions' THEN
                FOR item IN SELECT x.value FROM jsonb_array_elements(changes->'decisions') WITH ORDINALITY AS x(value, place) ORDER BY x.place
                LOOP
                    n := n + 1;
                    UPDATE decision_chain_head h SET seq = h.seq + 1, previous_hash = h.hash,
                        hash = encode(sha256(hashed_before[n] || convert_to(length((h.seq + 1)::text) || ':' || (h.seq + 1)::text, 'UTF8')
                            || hashed_between[n] || convert_to(octet_length(h.hash) || ':' || h.hash, 'UTF8')), 'hex')
                    RETURNING h.seq, h.previous_hash, h.hash INTO head;
                    INSERT INTO decisions (seq, phase, verdict, data_product_id, data_product_version, stage, activity_id, task_id, principal,
                        policy_set_revision, gated_change, created_at, input, outcomes, previous_hash, hash, input_split)
                    VALUES (head.seq, item->>'phase', item->>'verdict', item->>'data_product_id', item->>'data_product_version',
                        item->>'stage', (item->>'activity_id')::BIGINT, (item->>'task_id')::BIGINT, item->>'principal',
                        item->>'policy_set_revision', item->>'gated_change', item->>'created_at', item->>'input', item->>'outcomes',
                        head.previous_hash, head.hash, (item->>'input_split')::BOOLEAN);
                    sequences := sequences || head.seq;
                    row_kind := 'decision';
                    row_id := head.seq;
                    row_previous_hash := head.previous_hash;
                    row_hash := head.hash;
                    RETURN NEXT;
                END LOOP;
            END IF;

            -- A transition cites a decision of this change set by its position (from 0).
            IF changes ? 'transitions' THEN
                INSERT INTO transitions (entity, entity_id, from_status, to_status, at, decision_seq)
                SELECT x.entity, x.entity_id, x.from_status, x.to_status, x.at, sequences[x.decision + 1]
                FROM jsonb_to_recordset(changes->'transitions') AS x(entity TEXT, entity_id BIGINT, from_status TEXT, to_status TEXT, at TEXT,
                    decision INTEGER);

            END IF;
            -- A caller stops waiting at its deadline (and answers that nothing was written): a commit
            -- that would end later is refused.
            IF extract(epoch FROM clock_timestamp()) > (changes->>'deadline')::FLOAT8 THEN
                RAISE EXCEPTION 'nothing was written: the commit would have ended after its caller stopped waiting' USING ERRCODE = 'TG003';
            END IF;
        END $$
        """
}
