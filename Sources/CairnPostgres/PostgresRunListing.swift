import Cairn
import Foundation
import Logging
import PostgresNIO

/// Listing runs with every filter and the page applied in SQL, as the SQLite journal's `runs` view does: a run is
/// interrupted when it has not ended and no live lease (by the server's clock) holds it.
enum PostgresRunListing {
    /// The summary's columns, from `run` and its lease.
    private static let columns = """
        run.run_id, run.workflow, run.version, run.fingerprint, run.status, run.created_at, run.finished_at, run.input,
        (run.result::jsonb -> 'result')::text AS result, run.error, run.origin_run_id, run.origin_seq, run.pruned_at,
        run.continued_from, run.wake_at, run.parent_run_id, run.parent_execution, run.published_seq,
        lease.owner, lease.expires_at AS lease_expires_at,
        (run.finished_at IS NULL AND (lease.expires_at IS NULL OR lease.expires_at <= now())) AS interrupted,
        (SELECT count(*) FROM journal WHERE journal.run_id = run.run_id AND journal.kind = 'run_resumed') AS resumes,
        (SELECT successor.run_id FROM run AS successor WHERE successor.continued_from = run.run_id LIMIT 1) AS continued_as
        """
    private static let interrupted = "(run.finished_at IS NULL AND (lease.expires_at IS NULL OR lease.expires_at <= now()))"

    static func page(_ query: RunQuery, on connection: PostgresConnection, logger: Logger) async throws -> RunPage {
        var filter = PostgresStatement()
        var conditions = 0
        func and() {
            filter.append(conditions == 0 ? " WHERE " : " AND ")
            conditions += 1
        }
        if !query.statuses.isEmpty {
            and()
            filter.append("(")
            for (index, status) in query.statuses.enumerated() {
                if index > 0 { filter.append(" OR ") }
                switch status {
                case .status(let status):
                    filter.append("run.status = ")
                    filter.bind(status.rawValue)
                case .interrupted:
                    filter.append(interrupted)
                }
            }
            filter.append(")")
        }
        if let workflow = query.workflow {
            and()
            filter.append("run.workflow = ")
            filter.bind(workflow)
        }
        if query.unfinishedOnly {
            and()
            filter.append("run.finished_at IS NULL")
        }
        if let origin = query.forkedFrom {
            and()
            filter.append("run.origin_run_id = ")
            filter.bind(origin.uuid)
        }
        if let parent = query.parent {
            and()
            filter.append("run.parent_run_id = ")
            filter.bind(parent.uuid)
        }
        if let since = query.since {
            and()
            filter.append("run.created_at >= ")
            filter.bind(since)
        }
        if let until = query.until {
            and()
            filter.append("run.created_at < ")
            filter.bind(until)
        }
        if let prefix = query.idPrefix {
            and()
            filter.append("starts_with(run.run_id::text, ")
            filter.bind(prefix.lowercased())
            filter.append(")")
        }
        let from = " FROM run LEFT JOIN lease USING (run_id)"
        var count = PostgresStatement()
        count.append("SELECT count(*) AS total" + from + filter.sql)
        let total = try await connection.rows(PostgresQuery(unsafeSQL: count.sql, binds: filter.bindings), logger: logger).first?["total", as: Int.self] ?? 0
        var page = filter
        page.append(" ORDER BY run.created_at DESC, run.run_id DESC LIMIT ")
        page.bind(max(0, query.limit))
        page.append(" OFFSET ")
        page.bind(max(0, query.offset))
        let rows = try await connection.rows(PostgresQuery(unsafeSQL: "SELECT \(columns)\(from)" + page.sql, binds: page.bindings), logger: logger)
        return RunPage(runs: try rows.map(summary), total: total)
    }

    static func summary(of run: RunID, on connection: PostgresConnection, logger: Logger) async throws -> RunSummary? {
        var statement = PostgresStatement()
        statement.append("SELECT \(columns) FROM run LEFT JOIN lease USING (run_id) WHERE run.run_id = ")
        statement.bind(run.uuid)
        return try await connection.rows(statement.query, logger: logger).first.map(summary)
    }

    private static func summary(_ row: PostgresRecordRow) throws -> RunSummary {
        let id = RunID(try row["run_id", as: UUID.self])
        guard let status = RunStatus(rawValue: try row["status"]) else {
            throw CairnError(.journalDamaged, "run \(id) has a status this binary does not know")
        }
        return RunSummary(
            runID: id, workflow: try row["workflow"], version: try row["version"], fingerprint: try row["fingerprint"], status: status,
            interrupted: try row["interrupted"], createdAt: try row["created_at"], finishedAt: try row["finished_at"],
            owner: try row["owner"], leaseExpiresAt: try row["lease_expires_at"],
            input: RunSummary.member("input", of: Data((try row["input", as: String.self]).utf8)),
            result: (try row["result", as: String?.self]).flatMap { JSONValue(json: Data($0.utf8)) },
            error: try (try row["error", as: String?.self]).map { try JSONDecoder().decode(RunError.self, from: Data($0.utf8)) },
            originRunID: (try row["origin_run_id", as: UUID?.self]).map(RunID.init), originSeq: try row["origin_seq"],
            resumes: try row["resumes"], prunedAt: try row["pruned_at"],
            continuedFrom: (try row["continued_from", as: UUID?.self]).map(RunID.init),
            continuedAs: (try row["continued_as", as: UUID?.self]).map(RunID.init), wakeAt: try row["wake_at"],
            parentRunID: (try row["parent_run_id", as: UUID?.self]).map(RunID.init), parentExecution: try row["parent_execution"],
            publishedSeq: try row["published_seq"])
    }
}
