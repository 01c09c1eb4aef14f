-- A human in the loop: a monitor with `approveOver` asks for `inventory.approval` before an order larger than
-- that, and writes who approved it — or, when it was rejected, a decision row of its own, `rejected`, with no
-- stock moved and who rejected it, so `audit` shows it. The ledger table is rebuilt once to widen its
-- decision CHECK; its views are made again with the new columns.

DROP VIEW IF EXISTS ledger;
DROP VIEW IF EXISTS decisions;

CREATE TABLE ledger_entry_v3 (
    entry_id        INTEGER PRIMARY KEY AUTOINCREMENT,
    sku             TEXT NOT NULL,
    decision        TEXT NOT NULL CHECK (decision IN ('order', 'clear', 'rejected')),
    quantity        INTEGER NOT NULL,
    round           INTEGER NOT NULL,
    run_id          TEXT NOT NULL REFERENCES run(run_id),
    execution_id    INTEGER NOT NULL,
    step            TEXT NOT NULL,
    decision_seq    INTEGER NOT NULL,
    decision_event  TEXT NOT NULL,
    vote_online     TEXT,
    vote_offline    TEXT,
    vote_trend      TEXT,
    at              TEXT NOT NULL,
    approved_by     TEXT,
    approval_note   TEXT,
    UNIQUE (run_id, execution_id)
) STRICT;

INSERT INTO ledger_entry_v3 (entry_id, sku, decision, quantity, round, run_id, execution_id, step, decision_seq, decision_event,
                             vote_online, vote_offline, vote_trend, at)
SELECT entry_id, sku, decision, quantity, round, run_id, execution_id, step, decision_seq, decision_event,
       vote_online, vote_offline, vote_trend, at
FROM ledger_entry;

DROP TABLE ledger_entry;
ALTER TABLE ledger_entry_v3 RENAME TO ledger_entry;

CREATE INDEX ledger_by_sku ON ledger_entry(sku, at);

CREATE VIEW ledger AS
SELECT entry_id, sku, decision, quantity, round, run_id, execution_id, step, decision_seq, decision_event,
       vote_online, vote_offline, vote_trend, at, approved_by, approval_note
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
       run.origin_run_id IS NOT NULL AS forked,
       ledger_entry.approved_by,
       ledger_entry.approval_note
FROM ledger_entry JOIN run USING (run_id);
