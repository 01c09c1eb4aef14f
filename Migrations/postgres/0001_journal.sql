-- The journal on PostgreSQL: the tables of the SQLite journal at its schema 0009, in PostgreSQL's types. Payloads,
-- results and JSON details are text, kept byte for byte as the engine wrote them (jsonb would reorder and respace
-- them); `cairn sql` casts them (`payload::jsonb`) to query into them. Times are timestamptz; a lease expires by
-- the server's clock (`now()`), whichever host's worker holds it.

CREATE TABLE run (
    run_id           uuid PRIMARY KEY,
    workflow         text NOT NULL,
    fingerprint      text NOT NULL,
    shape            text NOT NULL,
    version          text,
    seed             bigint,            -- the UInt64 seed's bit pattern
    input            text NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending', 'running', 'waiting', 'completed', 'failed', 'cancelled', 'timed_out')),
    result           text,
    error            text,
    deadline         timestamptz,
    created_at       timestamptz NOT NULL,
    finished_at      timestamptz,
    origin_run_id    uuid REFERENCES run (run_id),
    origin_seq       integer,
    pruned_at        timestamptz,
    continued_from   uuid REFERENCES run (run_id),
    accepts          text,
    wake_at          timestamptz,
    parent_run_id    uuid REFERENCES run (run_id),
    parent_execution integer,
    published_seq    integer
);
CREATE INDEX run_by_status ON run (status, created_at);
CREATE INDEX run_by_workflow ON run (workflow, created_at);
CREATE INDEX run_by_created ON run (created_at);
CREATE INDEX run_by_finished ON run (finished_at) WHERE finished_at IS NOT NULL AND pruned_at IS NULL;
CREATE INDEX run_by_continued_from ON run (continued_from) WHERE continued_from IS NOT NULL;
CREATE INDEX run_by_parent ON run (parent_run_id) WHERE parent_run_id IS NOT NULL;
CREATE INDEX run_waiting ON run (wake_at) WHERE status = 'waiting';

-- One row per record, in append order.
CREATE TABLE journal (
    run_id       uuid NOT NULL REFERENCES run (run_id),
    position     integer NOT NULL,
    kind         text NOT NULL,
    execution_id integer,
    step         text,
    attempt      integer,
    outcome      text,
    error        text,
    retry_at     timestamptz,
    triggers     text,
    detail       text,
    at           timestamptz NOT NULL,
    PRIMARY KEY (run_id, position)
);
CREATE INDEX journal_by_execution ON journal (run_id, execution_id, attempt);

CREATE TABLE event (
    run_id            uuid NOT NULL REFERENCES run (run_id),
    seq               integer NOT NULL,
    name              text NOT NULL,
    payload           text NOT NULL,
    execution_id      integer,
    position          integer NOT NULL,
    at                timestamptz NOT NULL,
    target            text,
    inbox_seq         integer,
    deliver_at        timestamptz,
    answers_execution integer,
    answers_key       text,
    published         boolean,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX event_by_name ON event (name);
CREATE UNIQUE INDEX event_by_inbox_seq ON event (run_id, inbox_seq) WHERE inbox_seq IS NOT NULL;

CREATE TABLE stream_event (
    run_id          uuid NOT NULL REFERENCES run (run_id),
    stream_position integer NOT NULL,
    name            text NOT NULL,
    payload         text NOT NULL,
    step            text NOT NULL,
    position        integer NOT NULL,
    PRIMARY KEY (run_id, stream_position)
);

CREATE TABLE store_write (
    run_id   uuid NOT NULL REFERENCES run (run_id),
    position integer NOT NULL,
    key      text NOT NULL,
    value    text NOT NULL,
    PRIMARY KEY (run_id, position, key)
);

CREATE TABLE side_effect (
    run_id       uuid NOT NULL REFERENCES run (run_id),
    execution_id integer NOT NULL,
    key          text NOT NULL,
    attempt      integer NOT NULL,
    result       text NOT NULL,
    position     integer NOT NULL,
    at           timestamptz NOT NULL,
    PRIMARY KEY (run_id, execution_id, key)
);

CREATE TABLE snapshot (
    run_id   uuid PRIMARY KEY REFERENCES run (run_id),
    position integer NOT NULL,
    state    bytea NOT NULL,
    at       timestamptz NOT NULL
);

-- Messages to a run, durable when sent; its owner journals them as events.
CREATE TABLE inbox (
    run_id          uuid NOT NULL REFERENCES run (run_id),
    seq             integer NOT NULL,
    name            text NOT NULL,
    payload         text NOT NULL,
    idempotency_key text,
    sender          text,
    sent_at         timestamptz NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE UNIQUE INDEX inbox_by_key ON inbox (run_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Who drives a run, until when (by the server's clock), and the epoch every commit of that owner is fenced by.
CREATE TABLE lease (
    run_id           uuid PRIMARY KEY REFERENCES run (run_id),
    owner            text NOT NULL,
    epoch            bigint NOT NULL,
    expires_at       timestamptz NOT NULL,
    cancel_requested boolean NOT NULL DEFAULT false
);
CREATE INDEX lease_by_expiry ON lease (expires_at);
