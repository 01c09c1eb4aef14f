-- Runs that start runs (workflows that talk):
-- * an event a step publishes (`context.publish`) is journaled in its run, marked `published`: it goes to none of
--   the run's steps; each workflow that starts on its type gets a run, started in the same transaction;
-- * such a run records the seq of the event that started it (`published_seq`), beside its parent run and
--   execution, so an audit follows publisher run → published event → subscriber run.

ALTER TABLE event ADD COLUMN published INTEGER;
ALTER TABLE run ADD COLUMN published_seq INTEGER;

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
       (SELECT successor.run_id FROM run AS successor WHERE successor.continued_from = run.run_id) AS continued_as,
       run.wake_at,
       (SELECT COUNT(*) FROM inbox
         WHERE inbox.run_id = run.run_id
           AND NOT EXISTS (SELECT 1 FROM event WHERE event.run_id = inbox.run_id AND event.inbox_seq = inbox.seq)) AS inbox_pending,
       run.parent_run_id,
       run.parent_execution,
       run.published_seq
FROM run LEFT JOIN lease USING (run_id) CROSS JOIN clock;

DROP VIEW IF EXISTS events;

CREATE VIEW events AS
SELECT event.run_id,
       event.seq,
       event.name,
       event.payload,
       event.execution_id,
       started.step,
       event.target,
       event.at,
       event.inbox_seq,
       event.deliver_at,
       event.answers_execution,
       COALESCE(event.published, 0) AS published
FROM event
LEFT JOIN journal AS started
       ON started.run_id = event.run_id AND started.execution_id = event.execution_id
      AND started.kind = 'execution_started' AND started.attempt = 1;
