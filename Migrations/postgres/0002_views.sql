-- The read-only views `cairn sql` queries: the SQLite journal's views (journal/0003 … 0009), with the same names and
-- columns in the same order, so a query over them answers on both backends. Flags are 0/1 integers as on SQLite;
-- times are timestamptz (compare them with '2026-12-06' or now()); results and errors are cast to json (kept as written) to query into.

CREATE VIEW clock AS
SELECT extract(epoch FROM now())::double precision AS now;

CREATE VIEW runs AS
SELECT run.run_id,
       run.workflow,
       run.status,
       CASE WHEN run.finished_at IS NULL AND (lease.expires_at IS NULL OR lease.expires_at <= now()) THEN 1 ELSE 0 END AS interrupted,
       run.created_at,
       run.finished_at,
       round(extract(epoch FROM COALESCE(run.finished_at, now()) - run.created_at)::numeric, 3)::double precision AS duration_s,
       run.input,
       run.result::json -> 'result' AS result,
       run.error,
       run.error::json ->> 'code' AS error_code,
       run.error::json ->> 'message' AS error_message,
       run.version,
       run.fingerprint,
       lease.owner,
       lease.expires_at AS lease_expires_at,
       run.origin_run_id,
       run.origin_seq,
       (SELECT count(*) FROM journal WHERE journal.run_id = run.run_id AND journal.kind = 'run_resumed') AS resumes,
       run.pruned_at,
       run.continued_from,
       (SELECT successor.run_id FROM run AS successor WHERE successor.continued_from = run.run_id) AS continued_as,
       run.wake_at,
       (SELECT count(*) FROM inbox
         WHERE inbox.run_id = run.run_id
           AND NOT EXISTS (SELECT 1 FROM event WHERE event.run_id = inbox.run_id AND event.inbox_seq = inbox.seq)) AS inbox_pending,
       run.parent_run_id,
       run.parent_execution,
       run.published_seq
FROM run LEFT JOIN lease USING (run_id);

CREATE VIEW messages AS
SELECT inbox.run_id,
       inbox.seq AS inbox_seq,
       inbox.name,
       inbox.payload,
       inbox.idempotency_key,
       inbox.sender,
       inbox.sent_at,
       event.seq AS event_seq,
       event.at AS received_at
FROM inbox
LEFT JOIN event ON event.run_id = inbox.run_id AND event.inbox_seq = inbox.seq;

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
       COALESCE(event.published, false)::int AS published
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
       round(extract(epoch FROM finished.at - started.at)::numeric, 3)::double precision AS duration_s,
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
