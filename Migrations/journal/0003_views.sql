-- Stable, documented views for `cairn sql` and audits. Query these rather than the tables: their columns
-- keep their meaning across versions. `cairn sql --schema` prints the description of every column.

CREATE VIEW runs AS
SELECT run.run_id,
       run.workflow,
       run.status,
       CASE WHEN run.status IN ('pending', 'running', 'waiting')
                 AND (lease.expires_at IS NULL OR lease.expires_at < (julianday('now') - 2440587.5) * 86400.0)
            THEN 1 ELSE 0 END AS interrupted,
       run.created_at,
       run.finished_at,
       ROUND((julianday(COALESCE(run.finished_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))) - julianday(run.created_at)) * 86400.0, 3)
           AS duration_s,
       run.input,
       json_extract(run.result, '$.result') AS result,
       json_extract(run.error, '$.message') AS error,
       run.version,
       run.fingerprint,
       lease.owner,
       run.origin_run_id,
       run.origin_seq,
       (SELECT COUNT(*) FROM journal WHERE journal.run_id = run.run_id AND journal.kind = 'run_resumed') AS resumes
FROM run LEFT JOIN lease USING (run_id);

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

CREATE VIEW ledger AS
SELECT entry_id, sku, decision, quantity, round, run_id, execution_id, step, decision_seq, decision_event,
       vote_online, vote_offline, vote_trend, at
FROM ledger_entry;

CREATE VIEW decisions AS
SELECT ledger_entry.at,
       ledger_entry.sku,
       ledger_entry.decision,
       ledger_entry.quantity,
       ledger_entry.round,
       ledger_entry.vote_online,
       ledger_entry.vote_offline,
       ledger_entry.vote_trend,
       run.workflow,
       ledger_entry.run_id,
       ledger_entry.execution_id,
       ledger_entry.step,
       ledger_entry.decision_seq,
       ledger_entry.decision_event,
       ledger_entry.entry_id,
       (SELECT COUNT(*) FROM journal WHERE journal.run_id = ledger_entry.run_id AND journal.kind = 'run_resumed') > 0 AS resumed,
       run.origin_run_id IS NOT NULL AS forked
FROM ledger_entry JOIN run USING (run_id);

CREATE VIEW stock AS
SELECT sku, quantity FROM stock_level;
