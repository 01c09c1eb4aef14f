-- Typed records, and each rule once.
--
-- Record kinds, outcomes and run statuses are Swift enums, mapped to these columns in one place
-- (CairnSQLite's JournalColumns) and checked there on every read: an unknown value is reported as damage,
-- naming the run and the record. The closed CHECKs of 0001 are gone, so a new record kind (waits, timers,
-- inbox, children) needs no table rebuild; this is the one rebuild, done while journals are small.
--
-- The views of 0003 are replaced: the database clock is the `clock` view, "unfinished" is
-- `finished_at IS NULL` (the writer sets it exactly when a run ends), "interrupted" is defined in `runs`
-- only, and `runs.result`/`runs.error` keep their JSON. The inventory's views (decisions, ledger, stock)
-- belong to CairnInventory now, which creates them in its own migrations.

DROP VIEW IF EXISTS runs;
DROP VIEW IF EXISTS events;
DROP VIEW IF EXISTS step_executions;
DROP VIEW IF EXISTS side_effects;
DROP VIEW IF EXISTS decisions;
DROP VIEW IF EXISTS ledger;
DROP VIEW IF EXISTS stock;

CREATE TABLE run_v4 (
    run_id          TEXT PRIMARY KEY NOT NULL,
    workflow        TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    shape           TEXT NOT NULL,
    version         TEXT,
    seed            INTEGER,
    input           TEXT NOT NULL,
    status          TEXT NOT NULL,
    result          TEXT,
    error           TEXT,
    deadline        TEXT,
    created_at      TEXT NOT NULL,
    finished_at     TEXT,
    origin_run_id   TEXT REFERENCES run(run_id),
    origin_seq      INTEGER
) STRICT;

INSERT INTO run_v4 (run_id, workflow, fingerprint, shape, version, seed, input, status, result, error, deadline, created_at,
                    finished_at, origin_run_id, origin_seq)
SELECT run_id, workflow, fingerprint, shape, version, seed, input, status, result, error, deadline, created_at,
       finished_at, origin_run_id, origin_seq
FROM run;

DROP TABLE run;
ALTER TABLE run_v4 RENAME TO run;

CREATE INDEX run_by_status ON run(status, created_at);
CREATE INDEX run_by_workflow ON run(workflow, created_at);
CREATE INDEX run_by_created ON run(created_at);

CREATE TABLE journal_v4 (
    run_id        TEXT NOT NULL REFERENCES run(run_id),
    position      INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    execution_id  INTEGER,
    step          TEXT,
    attempt       INTEGER,
    outcome       TEXT,
    error         TEXT,
    retry_at      TEXT,
    triggers      TEXT,
    detail        TEXT,
    at            TEXT NOT NULL,
    PRIMARY KEY (run_id, position)
) STRICT;

INSERT INTO journal_v4 (run_id, position, kind, execution_id, step, attempt, outcome, error, retry_at, triggers, detail, at)
SELECT run_id, position, kind, execution_id, step, attempt, outcome, error, retry_at, triggers, detail, at
FROM journal;

DROP TABLE journal;
ALTER TABLE journal_v4 RENAME TO journal;

CREATE INDEX journal_by_execution ON journal(run_id, execution_id, attempt);

-- The database clock in unix seconds: what lease expiry is compared with, by Cairn and by the views.
CREATE VIEW clock AS
SELECT (julianday('now') - 2440587.5) * 86400.0 AS now;

CREATE VIEW runs AS
SELECT run.run_id,
       run.workflow,
       run.status,
       CASE WHEN run.finished_at IS NULL AND (lease.expires_at IS NULL OR lease.expires_at <= clock.now)
            THEN 1 ELSE 0 END AS interrupted,
       run.created_at,
       run.finished_at,
       ROUND((julianday(COALESCE(run.finished_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))) - julianday(run.created_at)) * 86400.0, 3)
           AS duration_s,
       run.input,
       run.result -> '$.result' AS result,
       run.error,
       run.error ->> '$.code' AS error_code,
       run.error ->> '$.message' AS error_message,
       run.version,
       run.fingerprint,
       lease.owner,
       CASE WHEN lease.expires_at IS NULL THEN NULL
            ELSE strftime('%Y-%m-%dT%H:%M:%fZ', lease.expires_at, 'unixepoch') END AS lease_expires_at,
       run.origin_run_id,
       run.origin_seq,
       (SELECT COUNT(*) FROM journal WHERE journal.run_id = run.run_id AND journal.kind = 'run_resumed') AS resumes
FROM run LEFT JOIN lease USING (run_id) CROSS JOIN clock;

CREATE VIEW events AS
SELECT event.run_id,
       event.seq,
       event.name,
       event.payload,
       event.execution_id,
       started.step,
       event.at
FROM event
LEFT JOIN journal AS started
       ON started.run_id = event.run_id AND started.execution_id = event.execution_id
      AND started.kind = 'execution_started' AND started.attempt = 1;

CREATE VIEW step_executions AS
SELECT started.run_id,
       started.execution_id,
       started.step,
       started.attempt,
       started.triggers,
       started.at AS started_at,
       finished.at AS finished_at,
       ROUND((julianday(finished.at) - julianday(started.at)) * 86400.0, 3) AS duration_s,
       COALESCE(finished.outcome, 'unfinished') AS outcome,
       finished.error,
       finished.retry_at
FROM journal AS started
LEFT JOIN journal AS finished
       ON finished.run_id = started.run_id AND finished.execution_id = started.execution_id
      AND finished.attempt = started.attempt AND finished.kind = 'execution_finished'
WHERE started.kind = 'execution_started';

CREATE VIEW side_effects AS
SELECT side_effect.run_id,
       side_effect.execution_id,
       started.step,
       side_effect.attempt,
       side_effect.key,
       side_effect.result,
       side_effect.at
FROM side_effect
LEFT JOIN journal AS started
       ON started.run_id = side_effect.run_id AND started.execution_id = side_effect.execution_id
      AND started.attempt = side_effect.attempt AND started.kind = 'execution_started';
