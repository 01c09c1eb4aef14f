public import Cairn
import Foundation
import Logging
import PostgresNIO

extension PostgresJournal: QueryableJournal {
    /// Runs a user's SQL over the journal's views, streaming its rows to `output`.
    ///
    /// Every statement must start as a query (`SELECT`, `WITH`, `VALUES`, `TABLE`, `EXPLAIN`, `SHOW`), or nothing runs.
    /// They run in one `READ ONLY`, `REPEATABLE READ` transaction whose snapshot is taken before the first of them — so
    /// a write hidden in a `WITH`, a function or an `EXPLAIN ANALYZE` is refused by the server, and none of them can
    /// make the transaction read-write — on a connection of its own (closed after, so nothing a query sets outlives
    /// it), stopped by the server's `statement_timeout`. The role in the URL still decides what may be read: for a hard
    /// boundary, give `cairn sql` a role that may only select from the views.
    public var dialect: SQLDialect { .postgres }

    public func read(_ sql: String, _ arguments: [String?]) async throws -> QueryResult {
        var bindings = PostgresBindings()
        for argument in arguments {
            if let argument { bindings.append(argument) } else { bindings.appendNull() }
        }
        let query = PostgresQuery(unsafeSQL: PostgresCommitTransaction.numbered(sql), binds: bindings)
        return try await snapshot { [logger] connection in
            let rows = try await connection.answered(query, logger: logger)
            var values: [[SQLValue]] = []
            for try await row in rows { values.append(row.map(SQLValue.init)) }
            return QueryResult(columns: rows.columns.map(\.name), rows: values)
        }
    }

    public func userQuery(_ sql: String, timeout: Duration, _ output: (QueryOutput) throws -> Void) async throws {
        let statements = try UserStatements.split(sql)
        guard !statements.isEmpty else { throw CairnError(.invalidInput, "there is no SQL statement to run") }
        for statement in statements where !UserStatements.startsLikeAQuery(statement) { throw Self.refusal(statement) }
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: try location.connectionConfiguration, id: 2, logger: logger)
        } catch {
            throw Self.described(error, location)
        }
        do {
            try await Self.run(statements, timeout: timeout, on: connection, logger: logger, output)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw Self.userQueryError(error, timeout: timeout, location: location)
        }
    }

    private static func run(_ statements: [String], timeout: Duration, on connection: PostgresConnection, logger: Logger,
                            _ output: (QueryOutput) throws -> Void) async throws {
        let milliseconds = max(1, Int((timeout.seconds * 1000).rounded(.up)))
        try await connection.answered("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
        try await connection.answered("SET LOCAL statement_timeout = \(unescaped: String(milliseconds))", logger: logger)
        try await connection.answered("SELECT 1 AS snapshot", logger: logger)  // from here on the transaction stays read-only
        for statement in statements {
            let rows = try await connection.answered(PostgresQuery(unsafeSQL: statement), logger: logger)
            try output(.columns(rows.columns.map(\.name)))
            var page: [[SQLValue]] = []
            for try await row in rows {
                page.append(row.map(SQLValue.init))
                if page.count == QueryOutput.pageSize {
                    try output(.rows(page))
                    page.removeAll(keepingCapacity: true)
                }
            }
            if !page.isEmpty { try output(.rows(page)) }
            try output(.end)
        }
        try await connection.answered("ROLLBACK", logger: logger)
    }

    private static func refusal(_ statement: String) -> CairnError {
        CairnError.queryRefused(statement, reads: "SELECT, WITH, VALUES, TABLE, EXPLAIN, SHOW")
    }

    /// The server's refusal in one sentence: a write (`read-only transaction`), the timeout, or what it said.
    private static func userQueryError(_ error: any Error, timeout: Duration, location: PostgresLocation) -> any Error {
        guard let server = (error as? PSQLError)?.serverInfo, let state = server[.sqlState] else { return described(error, location) }
        let message = server[.message] ?? "\(error)"
        switch state {
        case "25006": return CairnError(.invalidInput, "refused: the query tried to change the journal (\(message)); cairn sql only reads")
        case "57014": return CairnError.queryTimedOut(timeout)
        default: return CairnError(.invalidInput, "the query failed: \(message)")
        }
    }
}

/// A user's SQL cut into statements at each `;` outside quotes, dollar quotes and comments.
enum UserStatements {
    static func split(_ sql: String) throws -> [String] {
        var statements: [String] = [], current = ""
        var rest = Substring(sql)
        while let character = rest.first {
            if character == ";" {
                statements.append(current)
                current = ""
                rest = rest.dropFirst()
                continue
            }
            let token = try Self.token(at: rest)
            current += token
            rest = rest.dropFirst(token.count)
        }
        statements.append(current)
        return statements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !afterComments(Substring($0)).isEmpty }
    }

    /// The quoted string, dollar-quoted string, comment or single character at the start of `text`.
    private static func token(at text: Substring) throws -> Substring {
        func through(_ end: String, from start: Int) throws -> Substring {
            guard let range = text.dropFirst(start).range(of: end) else {
                throw CairnError(.invalidInput, "the SQL does not parse: a quote or comment is not closed")
            }
            return text[text.startIndex..<range.upperBound]
        }
        if text.hasPrefix("'") { return try through("'", from: 1) }  // '' inside is two tokens, which join the same
        if text.hasPrefix("\"") { return try through("\"", from: 1) }
        if text.hasPrefix("--") { return text.prefix { $0 != "\n" } }
        if text.hasPrefix("/*") { return try through("*/", from: 2) }
        if text.hasPrefix("$") {
            let tag = text.dropFirst().prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            if tag.first?.isNumber != true, text.dropFirst(1 + tag.count).hasPrefix("$") {  // not a parameter ($1)
                let delimiter = "$\(tag)$"
                return try through(delimiter, from: delimiter.count)
            }
        }
        return text.prefix(1)
    }

    /// Whether `statement` starts, after comments, as a statement that only reads.
    static func startsLikeAQuery(_ statement: String) -> Bool {
        let keyword = afterComments(Substring(statement)).prefix { $0.isLetter }.uppercased()
        return ["SELECT", "WITH", "VALUES", "TABLE", "EXPLAIN", "SHOW"].contains(keyword)
    }

    /// `statement` after its leading whitespace and comments.
    private static func afterComments(_ statement: Substring) -> Substring {
        var rest = statement
        while true {
            if rest.first?.isWhitespace == true {
                rest = rest.dropFirst()
            } else if rest.hasPrefix("--") || rest.hasPrefix("/*"), let comment = try? token(at: rest) {
                rest = rest.dropFirst(comment.count)
            } else {
                return rest
            }
        }
    }
}
