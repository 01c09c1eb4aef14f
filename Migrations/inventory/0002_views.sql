-- The inventory's documented views: every decision with its votes and how its run went, the ledger, the stock.
-- `cairn sql --schema` describes every column.

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
