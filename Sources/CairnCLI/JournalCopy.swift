import Cairn
import CairnPostgres
import CairnSQLite
import Foundation

/// `cairn db copy`: every run of an SQLite journal — its records, its inbox — and the domains' tables (the ledger)
/// into an empty PostgreSQL journal, then checked: row counts equal table by table, and every copied run's records
/// read back from PostgreSQL equal to the file's. The file is only read.
struct JournalCopy {
    let source: ReadOnlyJournal
    let destination: PostgresJournal
    /// Told each run copied, for progress on long copies.
    let progress: (Int, Int) -> Void

    struct Report: Encodable {
        var runs = 0
        var records = 0
        var inboxRows = 0
        /// Rows per domain table.
        var tables: [String: Int] = [:]
        /// Runs whose history `db prune` deleted: their summaries are not copied.
        var prunedSkipped = 0
        /// Tables whose row counts were compared, and runs whose records were read back.
        var tablesChecked = 0
        var runsChecked = 0
    }

    /// The journal's tables compared by row count (the file's and the database's hold the same rows of each).
    private static let countedTables = ["run", "journal", "event", "stream_event", "store_write", "side_effect", "inbox"]

    func copy() async throws -> Report {
        let present = try await destination.runCount()
        guard present == 0 else {
            throw CairnError(.invalidInput, "the journal \(destination.location) holds \(present) run(s) already; copy into an empty database")
        }
        var report = Report()
        let runs = try await source.allRuns(RunQuery(limit: 500)).sorted { ($0.createdAt, $0.runID.description) < ($1.createdAt, $1.runID.description) }
        var copied: [RunID] = []
        for (index, run) in runs.enumerated() {
            guard run.prunedAt == nil else {
                report.prunedSkipped += 1
                continue
            }
            let records = try await source.records(for: run.runID)
            // A successor is started by its predecessor's end, copied before it.
            if try await destination.contains(run.runID) {
                try await destination.appendCopied(Array(records.dropFirst()), for: run.runID)
            } else {
                try await destination.appendCopied(records, for: run.runID)
            }
            let inbox = try source.rows("""
                SELECT seq, name, payload, idempotency_key, sender, sent_at FROM inbox WHERE run_id = ?1 ORDER BY seq
                """, [run.runID.description]).records
            try await destination.insertInbox(try inbox.map { row in
                (InboxEntry(inboxSeq: Int(row["seq"]?.integer ?? 0), name: row["name"]?.text ?? "", payload: Data((row["payload"]?.text ?? "").utf8),
                            sentAt: try Timestamp.date(row["sent_at"]?.text ?? "")),
                 row["idempotency_key"].flatMap { $0 == .null ? nil : $0.text }, row["sender"].flatMap { $0 == .null ? nil : $0.text })
            }, of: run.runID)
            report.runs += 1
            report.records += records.count
            report.inboxRows += inbox.count
            copied.append(run.runID)
            progress(index + 1, runs.count)
        }
        for (table, columns) in try await destination.domainTables() {
            let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
            let rows = try source.rows("SELECT \(list) FROM \"\(table)\"").rows
            try await destination.insert(into: table, columns: columns, rows: rows)
            report.tables[table] = rows.count
        }
        try await destination.releaseAllLeases()
        try await verify(copied, &report)
        return report
    }

    /// Row counts table by table, and each copied run's records read back.
    private func verify(_ runs: [RunID], _ report: inout Report) async throws {
        if report.prunedSkipped == 0 {
            for table in Self.countedTables + report.tables.keys.sorted() {
                let inFile = Int(try source.rows("SELECT count(*) FROM \"\(table)\"").rows.first?.first?.integer ?? -1)
                let inDatabase = try await destination.rowCount(of: table)
                guard inFile == inDatabase else {
                    throw CairnError(.internalInconsistency, "the copy differs: table \(table) has \(inFile) row(s) in the file and \(inDatabase) "
                        + "in \(destination.location); nothing was deleted, drop the database's tables before copying again")
                }
                report.tablesChecked += 1
            }
        }
        let fixed = Date(timeIntervalSince1970: 0)
        for run in runs {
            let original = try RunArchive(records: try await source.records(for: run), exportedAt: fixed).encoded()
            let readBack = try RunArchive(records: try await destination.records(for: run), exportedAt: fixed).encoded()
            guard original == readBack else {
                throw CairnError(.internalInconsistency, "the copy differs: run \(run)'s records read back from \(destination.location) are not "
                    + "the file's; nothing was deleted, drop the database's tables before copying again")
            }
            report.runsChecked += 1
        }
    }
}
