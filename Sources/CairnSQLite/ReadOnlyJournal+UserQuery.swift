public import Cairn
import Dispatch
import Foundation
import GRDB
import Synchronization

extension ReadOnlyJournal: QueryableJournal {
    /// Runs a user's SQL, streaming its rows to `output`. Every statement must only read, or nothing runs at
    /// all; the whole query is stopped (`sqlite3_interrupt`) once it has run for `timeout`.
    public func userQuery(_ sql: String, timeout: Duration, _ output: (QueryOutput) throws -> Void) throws {
        let fired = Atomic(false)
        let watchdog = DispatchWorkItem { [queue] in
            fired.store(true, ordering: .sequentiallyConsistent)
            queue.interrupt()
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.seconds * 1000)), execute: watchdog)
        defer { watchdog.cancel() }
        do {
            try read { db in
                try Self.refuseFunctionsThatHandOutPointers(db)
                for statement in try Self.statements(db, sql) {
                    try output(.columns(statement.columnNames))
                    let rows = try Row.fetchCursor(statement)
                    var page: [[Value]] = []
                    while let row = try rows.next() {
                        page.append(row.databaseValues.map(SQLValue.init))
                        if page.count == QueryOutput.pageSize {
                            try output(.rows(page))
                            page.removeAll(keepingCapacity: true)
                        }
                    }
                    if !page.isEmpty { try output(.rows(page)) }
                    try output(.end)
                }
            }
        } catch where fired.load(ordering: .sequentiallyConsistent) {
            throw CairnError.queryTimedOut(timeout)
        }
    }

    /// Parses every statement first, so that nothing runs when one of them would write or does not parse.
    private static func statements(_ db: Database, _ sql: String) throws -> [Statement] {
        var statements: [Statement] = []
        do {
            let cursor = try db.allStatements(sql: sql)
            while let statement = try cursor.next() { statements.append(statement) }
        } catch let error as DatabaseError {
            // SQLite refuses some writes while preparing them (a DELETE on a view, a pragma that sets): say so.
            if let text = error.sql, startsLikeAWrite(text) { throw refusal(text) }
            throw CairnError(.invalidInput, "the SQL does not parse: \(error.message ?? "\(error)")")
        }
        guard !statements.isEmpty else { throw CairnError(.invalidInput, "there is no SQL statement to run") }
        for statement in statements { try requireReadOnly(statement) }
        return statements
    }

    /// Pragmas that only report a setting when given no value, though SQLite does not call them read-only.
    static let settingQueries: Set<String> = [
        "journal_mode", "page_size", "page_count", "freelist_count", "user_version", "application_id", "schema_version",
        "encoding", "auto_vacuum", "synchronous", "foreign_keys", "cache_size", "busy_timeout", "wal_autocheckpoint",
        "mmap_size", "locking_mode", "data_version", "compile_options",
    ]

    /// Only statements that start like a query and that SQLite itself calls read-only may run, and pragmas
    /// that report a setting. `sqlite3_stmt_readonly` alone is not enough: it calls ATTACH read-only, and a
    /// read-only connection still lets `VACUUM INTO` write a file.
    private static func requireReadOnly(_ statement: Statement) throws {
        let text = statement.sql.trimmingCharacters(in: .whitespacesAndNewlines)
        let keyword = text.prefix { $0.isLetter }.uppercased()
        let pragma = keyword == "PRAGMA" ? text.dropFirst(6).trimmingCharacters(in: .whitespaces).lowercased() : ""
        let reportsSetting = settingQueries.contains(pragma.trimmingCharacters(in: CharacterSet(charactersIn: "; ")))
        guard startsLikeAQuery(text), statement.isReadonly || reportsSetting else { throw refusal(text) }
    }

    /// Whether `sql` begins as a statement that may only read: a query, or a pragma given no value.
    private static func startsLikeAQuery(_ sql: String) -> Bool {
        let text = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        let keyword = text.prefix { $0.isLetter }.uppercased()
        return ["SELECT", "WITH", "VALUES", "EXPLAIN"].contains(keyword) || (keyword == "PRAGMA" && !text.contains("="))
    }

    /// Whether `sql` begins as a statement that writes: SQLite may refuse it before it is ever checked.
    private static func startsLikeAWrite(_ sql: String) -> Bool {
        let text = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        let keyword = text.prefix { $0.isLetter }.uppercased()
        let writing: Set<String> = ["INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT", "CREATE", "DROP", "ALTER", "ATTACH", "DETACH",
                                    "VACUUM", "REINDEX", "ANALYZE", "BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"]
        return writing.contains(keyword) || (keyword == "PRAGMA" && text.contains("="))
    }

    private static func refusal(_ sql: String) -> CairnError {
        CairnError.queryRefused(sql, reads: "SELECT, WITH, VALUES, EXPLAIN, read-only PRAGMA")
    }

    /// `fts3_tokenizer` returns, and with two arguments accepts, a raw C pointer (Debian's SQLite is built
    /// with it enabled): functions defined on the connection take the place of the built-in ones.
    private static func refuseFunctionsThatHandOutPointers(_ db: Database) throws {
        for arguments in [1, 2] {
            db.add(function: DatabaseFunction("fts3_tokenizer", argumentCount: arguments, pure: false) { _ in
                throw CairnError(.invalidInput, "fts3_tokenizer is not available in cairn sql: it hands out memory addresses")
            })
        }
    }
}
