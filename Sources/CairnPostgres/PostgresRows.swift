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
    /// The rows of `query`, each read by name.
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRecordRow] {
        try await self.query(query, logger: logger).collect().map(PostgresRecordRow.init)
    }

    /// Runs `query` to its end; for a statement with `RETURNING`, how many rows it returned (changed).
    @discardableResult
    func execute(_ query: PostgresQuery, logger: Logger) async throws -> Int {
        var count = 0
        for try await _ in try await self.query(query, logger: logger) { count += 1 }
        return count
    }
}
