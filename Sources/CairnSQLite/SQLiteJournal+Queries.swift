public import Cairn
public import Foundation
import GRDB

/// A run as `cairn list` shows it.
public struct RunSummary: Sendable, Codable, Equatable {
    public let runID: String
    public let workflow: String
    /// The journal's status word.
    public let status: RunStatus
    /// True for a `running` run whose lease has expired: no live process owns it, `resume` finishes it.
    public let interrupted: Bool
    public let createdAt: Date
    public let finishedAt: Date?
    public let leaseOwner: String?
    public let leaseExpiresAt: Date?
    public let error: RunError?
    /// The stop event's payload (`{"result": …}`) when the run completed.
    public let result: String?
    public let originRunID: String?

    /// The status as shown: the status word, or `interrupted`.
    public var displayStatus: String { interrupted ? "interrupted" : status.rawValue }
}

extension SQLiteJournal {
    /// Runs, newest first, optionally filtered by status word (`interrupted` included) and workflow.
    public func runs(status: String? = nil, workflow: String? = nil, limit: Int = 1_000) async throws -> [RunSummary] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT run.*, lease.owner, lease.expires_at, \(Self.dbNow) AS now
                FROM run LEFT JOIN lease USING (run_id)
                WHERE (?1 IS NULL OR run.workflow = ?1)
                ORDER BY run.created_at DESC LIMIT ?2
                """, arguments: [workflow, limit]).map(Self.summary).filter { status == nil || $0.displayStatus == status || $0.status.rawValue == status }
        }
    }

    /// One run; `nil` when it does not exist.
    public func run(_ id: RunID) async throws -> RunSummary? {
        try await read { db in
            try Row.fetchOne(db, sql: """
                SELECT run.*, lease.owner, lease.expires_at, \(Self.dbNow) AS now
                FROM run LEFT JOIN lease USING (run_id) WHERE run.run_id = ?
                """, arguments: [id.description]).map(Self.summary)
        }
    }

    /// Asks the process that owns the run to cancel it at its next lease renewal.
    public func requestCancel(of run: RunID) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE lease SET cancel_requested = 1 WHERE run_id = ?", arguments: [run.description])
        }
    }

    private static func summary(_ row: Row) throws -> RunSummary {
        let status = RunStatus(rawValue: row["status"]) ?? .failed
        let expires: Double? = row["expires_at"]
        let live = expires.map { $0 > (row["now"] as Double) } ?? false
        return RunSummary(
            runID: row["run_id"], workflow: row["workflow"], status: status,
            interrupted: !status.isTerminal && !live,
            createdAt: try Timestamp.date(row["created_at"] as String),
            finishedAt: try Timestamp.date(row["finished_at"] as String?),
            leaseOwner: row["owner"], leaseExpiresAt: expires.map { Date(timeIntervalSince1970: $0) },
            error: (row["error"] as String?).flatMap { try? JSONDecoder().decode(RunError.self, from: Data($0.utf8)) },
            result: row["result"], originRunID: row["origin_run_id"])
    }
}
