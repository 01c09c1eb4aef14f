import Foundation
import Logging
import PostgresNIO

/// The statements of every step's commit, prepared once per pooled connection: sent as unnamed statements, the server
/// parsed and planned each one on every commit — more than half of its CPU per step (`perf`, Scripts/bench-workers).
enum AppendStatements {
    /// Locks a run's row for the transaction (``PostgresJournal/lockRun(_:on:logger:)``); no row when there is no run.
    struct LockRun: PostgresPreparedStatement {
        static let sql = "SELECT 1 FROM run WHERE run_id = $1 FOR NO KEY UPDATE"
        let run: UUID

        func makeBindings() -> PostgresBindings { AppendStatements.bindings(run) }

        func decodeRow(_ row: PostgresRow) throws -> Int { try row.decode(Int.self) }
    }

    /// A locked run's lease — owner and epoch, for the fence — and the position of its last record. Sent after the
    /// lock, so its snapshot sees the takeover that committed while the lock waited.
    struct Fence: PostgresPreparedStatement {
        static let sql = """
            SELECT owner, epoch, (SELECT COALESCE(MAX(position), 0) FROM journal WHERE run_id = $1)::bigint FROM lease WHERE run_id = $1
            """
        let run: UUID

        func makeBindings() -> PostgresBindings { AppendStatements.bindings(run) }

        func decodeRow(_ row: PostgresRow) throws -> (owner: String, epoch: Int, last: Int) {
            let (owner, epoch, last) = try row.decode((String, Int, Int).self)
            return (owner, epoch, last)
        }
    }

    /// An append's journal, event, stream, store and side-effect rows from one JSON document (``PendingRows``).
    struct WriteRows: PostgresPreparedStatement {
        static let sql = PendingRows.statement
        let document: String

        func makeBindings() -> PostgresBindings { AppendStatements.bindings(document) }

        func decodeRow(_ row: PostgresRow) throws -> Int { try row.decode(Int.self) }
    }
}

extension AppendStatements {
    /// One value as a statement's only parameter.
    static func bindings(_ value: some PostgresNonThrowingEncodable) -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(value)
        return bindings
    }
}

extension PostgresConnection {
    /// The rows of a prepared statement — or, when the server has ended the session, a failure at once (see
    /// ``answered(_:logger:)``).
    func answered<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws -> [Statement.Row] {
        guard !isClosed else { throw SessionEnded() }
        var rows: [Statement.Row] = []
        for try await row in try await execute(statement, logger: logger) { rows.append(row) }
        return rows
    }
}
