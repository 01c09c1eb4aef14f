public import Cairn
import Foundation
import GRDB

extension SQLiteJournal {
    public func runs(_ query: RunQuery) async throws -> RunPage {
        try await read { db in try RunListing.page(db, query) }
    }

    public func summary(of run: RunID) async throws -> RunSummary? {
        try await read { db in try RunListing.summary(db, run) }
    }

    /// Asks the process that owns the run to cancel it at its next lease renewal.
    public func requestCancel(of run: RunID) async throws {
        try await committer.submit { db in
            try db.execute(sql: "UPDATE lease SET cancel_requested = 1 WHERE run_id = ?", arguments: [run.description])
        }
    }
}

/// Listing runs from the `runs` view, where "interrupted" and the database clock are defined: every filter
/// and the page are applied in SQL, so a filter never sees a truncated list.
enum RunListing {
    /// Interrupted as listed: the view's rule (no live lease), or a lease whose owner is on this host and
    /// provably gone (``LeaseOwner/isProvablyGone``) — `resume` takes such a run over at once, so `list` and
    /// `show` say so at once too, not when the lease expires.
    private static let interrupted = "(interrupted = 1 OR (finished_at IS NULL AND cairn_owner_gone(owner)))"

    static let ownerGone = DatabaseFunction("cairn_owner_gone", argumentCount: 1, pure: false) { values in
        (String.fromDatabaseValue(values[0])).flatMap(LeaseOwner.init)?.isProvablyGone ?? false
    }

    private static let columns = "*, \(interrupted) AS listed_interrupted"

    static func page(_ db: Database, _ query: RunQuery) throws -> RunPage {
        db.add(function: ownerGone)
        var conditions: [String] = []
        var arguments = StatementArguments()
        if !query.statuses.isEmpty {
            var any: [String] = []
            for status in query.statuses {
                switch status {
                case .status(let status):
                    any.append("status = ?")
                    arguments += [status.rawValue]
                case .interrupted:
                    any.append(interrupted)
                }
            }
            conditions.append("(" + any.joined(separator: " OR ") + ")")
        }
        if let workflow = query.workflow {
            conditions.append("workflow = ?")
            arguments += [workflow]
        }
        if query.unfinishedOnly { conditions.append("finished_at IS NULL") }
        if let origin = query.forkedFrom {
            conditions.append("origin_run_id = ?")
            arguments += [origin.description]
        }
        if let parent = query.parent {
            conditions.append("parent_run_id = ?")
            arguments += [parent.description]
        }
        if let since = query.since {
            conditions.append("created_at >= ?")
            arguments += [Timestamp.text(since)]
        }
        if let until = query.until {
            conditions.append("created_at < ?")
            arguments += [Timestamp.text(until)]
        }
        if let prefix = query.idPrefix {
            conditions.append("substr(run_id, 1, ?) = ?")  // a prefix match with no LIKE wildcards to escape
            arguments += [prefix.count, prefix]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs \(filter)", arguments: arguments) ?? 0
        let rows = try Row.fetchAll(
            db, sql: "SELECT \(columns) FROM runs \(filter) ORDER BY created_at DESC, run_id DESC LIMIT ? OFFSET ?",
            arguments: arguments + [max(0, query.limit), max(0, query.offset)])
        return RunPage(runs: try rows.map(summary), total: total)
    }

    static func summary(_ db: Database, _ run: RunID) throws -> RunSummary? {
        db.add(function: ownerGone)
        return try Row.fetchOne(db, sql: "SELECT \(columns) FROM runs WHERE run_id = ?", arguments: [run.description]).map(summary)
    }

    private static func summary(_ row: Row) throws -> RunSummary {
        let id: String = row["run_id"]
        guard let runID = RunID(id) else { throw CairnError(.journalDamaged, "the journal has a run whose id '\(id)' is not a UUID") }
        let interrupted: Bool = row["listed_interrupted"]
        let finishedAt = try Timestamp.date(row["finished_at"] as String?)
        return RunSummary(
            runID: runID, workflow: row["workflow"], version: row["version"], fingerprint: row["fingerprint"],
            status: try row.coded(RunStatus.self, "status", in: "run \(id)"), interrupted: interrupted,
            createdAt: try Timestamp.date(row["created_at"] as String), finishedAt: finishedAt,
            owner: row["owner"], leaseExpiresAt: try Timestamp.date(row["lease_expires_at"] as String?),
            input: RunSummary.member("input", of: Data((row["input"] as String).utf8)),
            result: (row["result"] as String?).flatMap { JSONValue(json: Data($0.utf8)) },
            error: try (row["error"] as String?).map { try JSONDecoder().decode(RunError.self, from: Data($0.utf8)) },
            originRunID: (row["origin_run_id"] as String?).flatMap(RunID.init), originSeq: row["origin_seq"],
            resumes: row["resumes"], prunedAt: try Timestamp.date(row["pruned_at"] as String?),
            continuedFrom: (row["continued_from"] as String?).flatMap(RunID.init), continuedAs: (row["continued_as"] as String?).flatMap(RunID.init),
            wakeAt: try Timestamp.date(row["wake_at"] as String?), parentRunID: (row["parent_run_id"] as String?).flatMap(RunID.init),
            parentExecution: row["parent_execution"], publishedSeq: row["published_seq"])
    }
}

/// A page of a run's progress stream: the one query `follow`, `replay`, `show` and the event streams share.
enum StreamQuery {
    static func page(_ db: Database, run: RunID, from position: Int, limit: Int) throws -> [StreamedEvent] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT stream_position, name, payload, step FROM stream_event
            WHERE run_id = ? AND stream_position >= ? ORDER BY stream_position LIMIT ?
            """), arguments: [run.description, position, limit]).map { row in
            StreamedEvent(position: row[0], name: row[1], payload: Data((row[2] as String).utf8), step: row[3])
        }
    }
}
