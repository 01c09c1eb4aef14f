-- replaces: 0002_inventory_ledger
-- (the same tables, shipped among the journal's own migrations before domains were plug-ins: a journal that
-- has them already takes this migration as applied and runs none of it)

-- The inventory domain: every order or clear-out is one decision row, written inside the commit of the
-- step execution that decided it, linked to its run, execution and decision event.

CREATE TABLE ledger_entry (
    entry_id        INTEGER PRIMARY KEY AUTOINCREMENT,
    sku             TEXT NOT NULL,
    decision        TEXT NOT NULL CHECK (decision IN ('order', 'clear')),
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
    UNIQUE (run_id, execution_id)
) STRICT;

CREATE INDEX ledger_by_sku ON ledger_entry(sku, at);

-- Stock on hand per SKU: the sum of its ledger entries.
CREATE TABLE stock_level (
    sku       TEXT PRIMARY KEY NOT NULL,
    quantity  INTEGER NOT NULL
) STRICT;
