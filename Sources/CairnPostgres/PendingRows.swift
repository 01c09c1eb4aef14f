import Cairn
import Foundation
import Logging
import PostgresNIO

/// The rows an append adds to the journal's tables, gathered while its records are turned into rows, then written in
/// one statement — one round trip however many records, events and store writes the append holds. (Sent one by one,
/// a step's commit took eight statements, each a round trip and a parse on the server.)
///
/// Used by one append's task only.
final class PendingRows {
    struct Journal: Encodable {
        let run_id: UUID, position: Int, kind: String
        var execution_id: Int?, step: String?, attempt: Int?, outcome: String?, error: String?, retry_at: Int64?, triggers: String?,
            detail: String?
        let at: Int64
    }

    struct Event: Encodable {
        let run_id: UUID, seq: Int, name: String, payload: String, execution_id: Int?, target: String?, inbox_seq: Int?, deliver_at: Int64?,
            answers_execution: Int?, answers_key: String?, published: Bool?, position: Int, at: Int64
    }

    struct StreamEvent: Encodable {
        let run_id: UUID, stream_position: Int, name: String, payload: String, step: String, position: Int
    }

    struct StoreWrite: Encodable {
        let run_id: UUID, position: Int, key: String, value: String
    }

    struct SideEffect: Encodable {
        let run_id: UUID, execution_id: Int, key: String, attempt: Int, result: String, position: Int, at: Int64
    }

    private struct Document: Encodable {
        var journal: [Journal] = [], event: [Event] = [], stream_event: [StreamEvent] = [], store_write: [StoreWrite] = [],
            side_effect: [SideEffect] = []

        var isEmpty: Bool { journal.isEmpty && event.isEmpty && stream_event.isEmpty && store_write.isEmpty && side_effect.isEmpty }
    }

    private var document = Document()

    func add(_ row: Journal) { document.journal.append(row) }
    func add(_ row: Event) { document.event.append(row) }
    func add(_ row: StreamEvent) { document.stream_event.append(row) }
    func add(_ row: StoreWrite) { document.store_write.append(row) }
    func add(_ row: SideEffect) { document.side_effect.append(row) }

    /// Writes the rows gathered so far, in one statement, and forgets them.
    func flush(on connection: PostgresConnection, logger: Logger) async throws {
        guard !document.isEmpty else { return }
        let json = String(decoding: try JSONEncoder().encode(document), as: UTF8.self)
        document = Document()
        _ = try await connection.answered(AppendStatements.WriteRows(document: json), logger: logger)
    }

    /// A time as postgres-nio binds a `Date`: whole microseconds since 2000-01-01, truncated — so a row written here
    /// reads back as one bound directly would.
    static func time(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince(Date(timeIntervalSince1970: 946_684_800)) * 1_000_000)
    }

    static func time(_ date: Date?) -> Int64? { date.map(time) }

    /// Each table's rows from the document's array of that name, times back from microseconds.
    static let statement = """
        WITH document AS (SELECT $1::jsonb AS rows),
        journal_rows AS (
            INSERT INTO journal (run_id, position, kind, execution_id, step, attempt, outcome, error, retry_at, triggers, detail, at)
            SELECT r.run_id, r.position, r.kind, r.execution_id, r.step, r.attempt, r.outcome, r.error, \(time("r.retry_at")), r.triggers,
                   r.detail, \(time("r.at"))
            FROM document, jsonb_to_recordset(document.rows -> 'journal') AS r(
                run_id uuid, position integer, kind text, execution_id integer, step text, attempt integer, outcome text, error text,
                retry_at bigint, triggers text, detail text, at bigint)
            RETURNING 1
        ), event_rows AS (
            INSERT INTO event (run_id, seq, name, payload, execution_id, target, inbox_seq, deliver_at, answers_execution, answers_key,
                               published, position, at)
            SELECT r.run_id, r.seq, r.name, r.payload, r.execution_id, r.target, r.inbox_seq, \(time("r.deliver_at")), r.answers_execution,
                   r.answers_key, r.published, r.position, \(time("r.at"))
            FROM document, jsonb_to_recordset(document.rows -> 'event') AS r(
                run_id uuid, seq integer, name text, payload text, execution_id integer, target text, inbox_seq integer, deliver_at bigint,
                answers_execution integer, answers_key text, published boolean, position integer, at bigint)
            RETURNING 1
        ), stream_rows AS (
            INSERT INTO stream_event (run_id, stream_position, name, payload, step, position)
            SELECT r.run_id, r.stream_position, r.name, r.payload, r.step, r.position
            FROM document, jsonb_to_recordset(document.rows -> 'stream_event') AS r(
                run_id uuid, stream_position integer, name text, payload text, step text, position integer)
            RETURNING 1
        ), store_rows AS (
            INSERT INTO store_write (run_id, position, key, value)
            SELECT r.run_id, r.position, r.key, r.value
            FROM document, jsonb_to_recordset(document.rows -> 'store_write') AS r(run_id uuid, position integer, key text, value text)
            RETURNING 1
        ), side_effect_rows AS (
            INSERT INTO side_effect (run_id, execution_id, key, attempt, result, position, at)
            SELECT r.run_id, r.execution_id, r.key, r.attempt, r.result, r.position, \(time("r.at"))
            FROM document, jsonb_to_recordset(document.rows -> 'side_effect') AS r(
                run_id uuid, execution_id integer, key text, attempt integer, result text, position integer, at bigint)
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM journal_rows) + (SELECT count(*) FROM event_rows) + (SELECT count(*) FROM stream_rows)
             + (SELECT count(*) FROM store_rows) + (SELECT count(*) FROM side_effect_rows) AS written
        """

    /// The SQL that turns microseconds since 2000 in `column` back into a time (`NULL` stays `NULL`).
    private static func time(_ column: String) -> String {
        "(timestamptz '2000-01-01 00:00:00+00' + \(column) * interval '1 microsecond')"
    }
}
