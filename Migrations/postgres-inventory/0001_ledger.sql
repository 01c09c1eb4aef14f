-- The inventory domain on PostgreSQL: the tables of the SQLite journal's inventory/0001 and 0003, in one file. Every
-- order, clear-out or rejection is one row, written inside the commit of the step execution that decided it.
-- run_id and at are text, as the domain's effect writes them on every backend.

CREATE TABLE ledger_entry (
    entry_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku             text NOT NULL,
    decision        text NOT NULL CHECK (decision IN ('order', 'clear', 'rejected')),
    quantity        integer NOT NULL,
    round           integer NOT NULL,
    run_id          text NOT NULL,
    execution_id    integer NOT NULL,
    step            text NOT NULL,
    decision_seq    integer NOT NULL,
    decision_event  text NOT NULL,
    vote_online     text,
    vote_offline    text,
    vote_trend      text,
    at              text NOT NULL,
    approved_by     text,
    approval_note   text,
    UNIQUE (run_id, execution_id)
);
CREATE INDEX ledger_by_sku ON ledger_entry (sku, at);

-- Stock on hand per SKU: the sum of its ledger entries.
CREATE TABLE stock_level (
    sku       text PRIMARY KEY,
    quantity  integer NOT NULL
);
