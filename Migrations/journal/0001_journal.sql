-- The journal: one row per run, an append-only log of its records, and the tables people query.
-- Run ids are lowercase UUID text; times are ISO-8601 UTC text; payloads are JSON text.

CREATE TABLE run (
    run_id          TEXT PRIMARY KEY NOT NULL,
    workflow        TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    shape           TEXT NOT NULL,
    version         TEXT,
    seed            INTEGER,
    input           TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'running', 'waiting', 'completed', 'failed', 'cancelled', 'timed_out')),
    result          TEXT,
    error           TEXT,
    deadline        TEXT,
    created_at      TEXT NOT NULL,
    finished_at     TEXT,
    origin_run_id   TEXT REFERENCES run(run_id),
    origin_seq      INTEGER
) STRICT;

CREATE INDEX run_by_status ON run(status, created_at);
CREATE INDEX run_by_workflow ON run(workflow, created_at);

-- Who owns a run. Expiry is compared with the database clock (unix seconds). `cairn cancel` on a run a
-- live process owns sets cancel_requested; the owner cancels the run at its next lease renewal.
CREATE TABLE lease (
    run_id            TEXT PRIMARY KEY NOT NULL REFERENCES run(run_id),
    owner             TEXT NOT NULL,
    epoch             INTEGER NOT NULL,
    expires_at        REAL NOT NULL,
    cancel_requested  INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Every record of every run, in order: what the scheduler is rebuilt from.
CREATE TABLE journal (
    run_id        TEXT NOT NULL REFERENCES run(run_id),
    position      INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('run_started', 'execution_started', 'execution_finished', 'side_effect',
                                                'run_interrupted', 'run_resumed', 'run_finished')),
    execution_id  INTEGER,
    step          TEXT,
    attempt       INTEGER,
    outcome       TEXT CHECK (outcome IN ('completed', 'failed', 'timed_out')),
    error         TEXT,
    retry_at      TEXT,
    triggers      TEXT,
    detail        TEXT,
    at            TEXT NOT NULL,
    PRIMARY KEY (run_id, position)
) STRICT;

CREATE INDEX journal_by_execution ON journal(run_id, execution_id, attempt);

-- Every event, gapless per run from seq 1 (the start event).
CREATE TABLE event (
    run_id        TEXT NOT NULL REFERENCES run(run_id),
    seq           INTEGER NOT NULL,
    name          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    execution_id  INTEGER,
    position      INTEGER NOT NULL,
    at            TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) STRICT;

CREATE INDEX event_by_name ON event(name);

-- Events steps wrote to the run's progress stream, gapless per run from 1.
CREATE TABLE stream_event (
    run_id        TEXT NOT NULL REFERENCES run(run_id),
    stream_position INTEGER NOT NULL,
    name          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    step          TEXT NOT NULL,
    position      INTEGER NOT NULL,
    PRIMARY KEY (run_id, stream_position)
) STRICT;

-- Store writes, each published by the commit at `position`.
CREATE TABLE store_write (
    run_id    TEXT NOT NULL REFERENCES run(run_id),
    position  INTEGER NOT NULL,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (run_id, position, key)
) STRICT;

-- Memoised side effects (`context.run`): journaled the moment they return.
CREATE TABLE side_effect (
    run_id        TEXT NOT NULL REFERENCES run(run_id),
    execution_id  INTEGER NOT NULL,
    key           TEXT NOT NULL,
    attempt       INTEGER NOT NULL,
    result        TEXT NOT NULL,
    position      INTEGER NOT NULL,
    at            TEXT NOT NULL,
    PRIMARY KEY (run_id, execution_id, key)
) STRICT;
