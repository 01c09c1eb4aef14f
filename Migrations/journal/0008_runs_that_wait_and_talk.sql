-- Runs that wait and runs that talk (added by one release):
-- * a run's inbox: events sent to it from outside (`cairn send`, `Engine.send`, another run), each a row
--   durable when the send returns. The run's owner journals them, in inbox order, as events of the run (with
--   their inbox seq) in a commit of its own, so a run's journal keeps one writer. An idempotency key makes a
--   repeated send a no-op that returns the first send's seq;
-- * the event names a run accepts from outside, recorded at its start (a send of another is refused);
-- * `waiting`: a run with nothing to run but something that may still come; `wake_at` is when something is due;
-- * delayed events (`context.send(_:after:)`): journaled with the commit that sent them, with the time they are
--   delivered at (`deliver_at`); a `timers_fired` record delivers them when that time has come;
-- * child runs (`context.call`): a run started by a step of another run records that run and execution
--   (`parent_run_id`, `parent_execution`), so the `runs` view and `cairn list --parent RUN` show the tree;
-- * waits (`context.waitFor`): `wait_opened` records the question and its deadline; the event that answers it
--   names the wait (`answers_execution`, `answers_key`) and goes to no subscriber; `wait_answered` records a
--   wait that took an event received before it opened; a deadline passed unanswered is in `timers_fired`.

ALTER TABLE run ADD COLUMN accepts TEXT;
ALTER TABLE run ADD COLUMN wake_at TEXT;
ALTER TABLE event ADD COLUMN inbox_seq INTEGER;
ALTER TABLE event ADD COLUMN deliver_at TEXT;
ALTER TABLE event ADD COLUMN answers_execution INTEGER;
ALTER TABLE event ADD COLUMN answers_key TEXT;
ALTER TABLE run ADD COLUMN parent_run_id TEXT REFERENCES run(run_id);
ALTER TABLE run ADD COLUMN parent_execution INTEGER;

CREATE INDEX run_by_parent ON run(parent_run_id) WHERE parent_run_id IS NOT NULL;

CREATE UNIQUE INDEX event_by_inbox_seq ON event(run_id, inbox_seq) WHERE inbox_seq IS NOT NULL;

CREATE TABLE inbox (
    run_id           TEXT NOT NULL REFERENCES run(run_id),
    seq              INTEGER NOT NULL,
    name             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    idempotency_key  TEXT,
    sender           TEXT,
    sent_at          TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) STRICT;

CREATE UNIQUE INDEX inbox_by_key ON inbox(run_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX run_waiting ON run(wake_at) WHERE status = 'waiting';

-- The inbox as people query it: every event sent to a run, and the seq it was journaled at (NULL while its
-- run's owner has not journaled it yet).
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
       run.parent_execution
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
       event.answers_execution
FROM event
LEFT JOIN journal AS started
       ON started.run_id = event.run_id AND started.execution_id = event.execution_id
      AND started.kind = 'execution_started' AND started.attempt = 1;
