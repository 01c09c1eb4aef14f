-- The inventory's read-only views for `cairn sql`: inventory/0002 and 0003's, same names and columns in the same
-- order (flags 0/1 integers, as on SQLite).

CREATE VIEW stock AS
SELECT sku, quantity FROM stock_level;

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
       ((SELECT count(*) FROM journal WHERE journal.run_id = run.run_id AND journal.kind = 'run_resumed') > 0)::int AS resumed,
       (run.origin_run_id IS NOT NULL)::int AS forked,
       ledger_entry.approved_by,
       ledger_entry.approval_note
FROM ledger_entry JOIN run ON run.run_id::text = ledger_entry.run_id;
