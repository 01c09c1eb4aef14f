public import Cairn
import CairnSQLite
import Foundation

/// The inventory's questions of the journal — every decision for a SKU, the ledger and the stock — asked once,
/// for `cairn audit` and `cairn ledger` and for their HTTP paths alike.
public enum InventoryQueries {
    /// The ledger's entries and the stock; encoded as `ledger --json` and `GET /v1/inventory/ledger` answer them.
    public struct Ledger: Encodable, Sendable {
        public let entries: QueryResult
        public let stock: QueryResult

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(entries.records(camelCase: true), forKey: .entries)
            try container.encode(stock.records(camelCase: true), forKey: .stock)
        }

        private enum Key: CodingKey { case entries, stock }
    }

    /// Every decision taken for `sku`, in commit order, at or after `since` and before `until` (journal times, see
    /// ``time(_:)``). A decision an order station carried out names the monitor run that asked and the event it published.
    public static func audit(_ sku: String, since: String?, until: String?, in journal: any QueryableJournal) async throws -> QueryResult {
        // The ledger keeps run ids as text on every backend; PostgreSQL's run table keeps a uuid.
        let runKey = journal.dialect == .postgres ? "run.run_id::text" : "run.run_id"
        return try await journal.read("""
            SELECT d.at, d.decision, d.quantity, d.round, d.vote_online, d.vote_offline, d.vote_trend, d.workflow, d.run_id,
                   d.execution_id, d.step, d.decision_seq, d.decision_event, d.entry_id, d.resumed, d.forked, d.approved_by,
                   d.approval_note, run.parent_run_id AS asked_by_run, parent.workflow AS asked_by_workflow,
                   run.published_seq AS request_seq,
                   (SELECT name FROM event WHERE event.run_id = run.parent_run_id AND event.seq = run.published_seq) AS request_event
            FROM decisions AS d JOIN run ON \(runKey) = d.run_id LEFT JOIN run AS parent ON parent.run_id = run.parent_run_id
            WHERE d.sku = CAST(? AS TEXT) AND (CAST(? AS TEXT) IS NULL OR d.at >= CAST(? AS TEXT))
              AND (CAST(? AS TEXT) IS NULL OR d.at < CAST(? AS TEXT))
            ORDER BY d.at, d.entry_id
            """, [sku, since, since, until, until])
    }

    /// The ledger's entries (of one SKU, of one run, when given) and the stock (of that SKU).
    /// - Throws: `run-not-found` for a run the journal does not hold (rather than every SKU's stock and no entries).
    public static func ledger(sku: String?, run: RunID?, in journal: any QueryableJournal) async throws -> Ledger {
        if let run, try await journal.summary(of: run) == nil { throw CairnError(.runNotFound, "no run \(run)") }
        let entries = try await journal.read("""
            SELECT entry_id, at, sku, decision, quantity, round, run_id, execution_id, step, decision_seq
            FROM ledger WHERE (CAST(? AS TEXT) IS NULL OR sku = CAST(? AS TEXT)) AND (CAST(? AS TEXT) IS NULL OR run_id = CAST(? AS TEXT))
            ORDER BY entry_id
            """, [sku, sku, run?.description, run?.description])
        let stock = try await journal.read("SELECT sku, quantity FROM stock WHERE CAST(? AS TEXT) IS NULL OR sku = CAST(? AS TEXT) ORDER BY sku",
                                           [sku, sku])
        return Ledger(entries: entries, stock: stock)
    }

    /// A date (`2026-11-24`, its midnight UTC) or an ISO-8601 time, in the journal's text form for comparison; nil
    /// when it is neither.
    public static func time(_ text: String) -> String? {
        if let date = try? Date(text, strategy: .iso8601) { return Timestamp.text(date) }
        if let day = try? Date(text + "T00:00:00Z", strategy: .iso8601) { return Timestamp.text(day) }
        return nil
    }
}
