-- Runs that go on for months (added by one release):
-- * retention: `cairn db prune` deletes the history of finished runs — their records, events, stream, store
--   writes and side effects — and keeps their `run` row (status, input, result, times) with the time it was
--   pruned, so `list`, `show` and the domain's ledger still find the run;
-- * continue-as-new: a run that ends `continued` starts its successor in the same transaction; the successor
--   names the run it continues (`continued_from`), and `runs` shows the link both ways.

ALTER TABLE run ADD COLUMN pruned_at TEXT;
ALTER TABLE run ADD COLUMN continued_from TEXT REFERENCES run(run_id);

CREATE INDEX run_by_finished ON run(finished_at) WHERE finished_at IS NOT NULL AND pruned_at IS NULL;
CREATE INDEX run_by_continued_from ON run(continued_from) WHERE continued_from IS NOT NULL;

DROP VIEW IF EXISTS runs;

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
       (SELECT COUNT(*) FROM journal WHERE journal.run_id = run.run_id AND journal.kind = 'run_resumed') AS resumes,
       run.pruned_at,
       run.continued_from,
       (SELECT successor.run_id FROM run AS successor WHERE successor.continued_from = run.run_id) AS continued_as
FROM run LEFT JOIN lease USING (run_id) CROSS JOIN clock;

-- Snapshots: a run's state machine at a record of its journal, kept to resume from without reading the
-- history before it. A cache, never the truth: one that cannot be read, or does not match the log, is
-- ignored, and `cairn db check` recomputes each from the log. One per run, the latest.
CREATE TABLE snapshot (
    run_id    TEXT PRIMARY KEY NOT NULL REFERENCES run(run_id),
    position  INTEGER NOT NULL,
    state     BLOB NOT NULL,
    at        TEXT NOT NULL
) STRICT;
