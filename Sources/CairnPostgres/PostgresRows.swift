import Cairn
import Foundation
import Logging
import PostgresNIO

/// Statements with `$n` parameters built piece by piece: what the listing's optional filters need.
struct PostgresStatement {
    private(set) var sql = ""
    private(set) var bindings = PostgresBindings()

    /// Appends `text`, with `$n` for each value appended after it by ``bind(_:)``.
    mutating func append(_ text: String) { sql += text }

    /// Appends a parameter for `value` and returns its placeholder.
    @discardableResult
    mutating func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
        bindings.append(value)
        sql += "$\(bindings.count)"
        return "$\(bindings.count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: bindings) }
}

/// One row of a result, its columns read by name.
struct PostgresRecordRow {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    subscript<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) -> T {
        get throws { try row[column].decode(T.self) }
    }
}

extension PostgresConnection {
    /// Runs `query` — or, when the server has ended the session, fails at once: postgres-nio 1.33 drops a query
    /// written to a connection already closed and never answers it, which left a worker's runs waiting forever
    /// once the server went away (`PostgresOpeningTests.sessionEndedInTransaction`). The journal's queries go
    /// through here. (A close in the instant between the check and the write is not caught here: ``EndedSessionWatch``
    /// gives that query up.)
    @discardableResult
    func answered(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        guard !isClosed else { throw SessionEnded() }
        return try await self.query(query, logger: logger)
    }

    /// The rows of `query`, each read by name.
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRecordRow] {
        try await answered(query, logger: logger).collect().map(PostgresRecordRow.init)
    }

    /// Runs `query` to its end; for a statement with `RETURNING`, how many rows it returned (changed).
    @discardableResult
    func execute(_ query: PostgresQuery, logger: Logger) async throws -> Int {
        var count = 0
        for try await _ in try await answered(query, logger: logger) { count += 1 }
        return count
    }
}

/// The server ended the connection's session (it went away, or an administrator ended it).
struct SessionEnded: Error, CustomStringConvertible {
    /// Ended before its transaction began: the pool handed out a connection that had closed meanwhile.
    var beforeUse = false
    var description: String { "the server ended the connection" }
}
