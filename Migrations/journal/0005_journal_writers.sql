-- The processes that have the journal open for writing: a row each, added when one opens the journal and
-- checkpointed into the main file at once, removed when it closes it (after which the main file holds every
-- commit). A row in a main file that has no write-ahead log beside it means the file was copied, or its WAL
-- lost, while a writer had it open: commits since the last checkpoint may be missing, and `db check` says so.
CREATE TABLE journal_writer (
    owner       TEXT PRIMARY KEY NOT NULL,
    opened_at   TEXT NOT NULL
) STRICT;
