public import Cairn
import Foundation
import GRDB

/// A read-only connection to a journal for inspection commands: it never writes, and it refuses any
/// statement that could (`cairn sql` runs users' SQL through it).
public final class ReadOnlyJournal: InspectableJournal {
    /// One value of a result row.
    public typealias Value = SQLValue

    /// The rows of one statement.
    public struct Result: Sendable {
        public let columns: [String]
        public let rows: [[Value]]

        /// The rows as dictionaries keyed by column.
        public var records: [[String: Value]] {
            rows.map { Dictionary(uniqueKeysWithValues: zip(columns, $0)) }
        }
    }

    public let path: String
    private let queue: DatabaseQueue

    /// Opens the journal at `path` read-only, after making sure it exists and is not from a newer Cairn.
    ///
    /// A journal at an older schema is brought to this binary's first, when the file can be written; one
    /// that cannot be written (a read-only file or mount) is read only when it is at this binary's schema.
    public init(path: String, extensions: [JournalExtension] = []) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CairnError(.fileNotFound, "no journal at \(path); pass --db, or start a run first")
        }
        self.path = path
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(30)
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            let applied = try queue.read { db in
                try db.tableExists("grdb_migrations") ? try JournalMigrator.migrator(extensions).appliedIdentifiers(db) : []
            }
            try JournalMigrator.refuseNewer(applied: applied, path: path, extensions)
            if !JournalMigrator.isCurrent(applied: applied, extensions) {
                guard access(path, W_OK) == 0 else {
                    throw CairnError(.journalUnavailable, "journal \(path) is at an older schema and cannot be written to bring it to "
                        + "this binary's; open a writable copy with --db")
                }
                _ = try SQLiteJournal(path: path, extensions: extensions)  // migrates, then closes
            }
        } catch let error as CairnError {
            throw error
        } catch {
            throw SQLiteJournal.describe(error)
        }
    }

    /// The migrations applied to the journal, in the order they were applied.
    public func appliedMigrations() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid") }
    }

    /// Runs SQL written by Cairn itself (with text arguments, which SQLite converts to the column's type).
    public func rows(_ sql: String, _ arguments: [String?] = []) throws -> Result {
        try read { db in try Self.fetch(try db.makeStatement(sql: sql), arguments: StatementArguments(arguments)) }
    }

    /// Runs a user's SQL: every statement must only read, or nothing runs at all.
    /// - Throws: ``CairnError`` `invalid-input` naming the statement that would write or does not parse.
    public func userQuery(_ sql: String) throws -> [Result] {
        try read { db in
            var statements: [Statement] = []
            do {
                let cursor = try db.allStatements(sql: sql)
                while let statement = try cursor.next() { statements.append(statement) }
            } catch let error as DatabaseError {
                throw CairnError(.invalidInput, "the SQL does not parse: \(error.message ?? "\(error)")")
            }
            guard !statements.isEmpty else { throw CairnError(.invalidInput, "there is no SQL statement to run") }
            for statement in statements {
                try Self.requireReadOnly(statement)
            }
            return try statements.map { try Self.fetch($0, arguments: StatementArguments()) }
        }
    }

    /// Only statements that start like a query and that SQLite itself calls read-only may run.
    /// `sqlite3_stmt_readonly` alone is not enough: it calls ATTACH read-only, and a read-only connection
    /// still lets `VACUUM INTO` write a file.
    private static func requireReadOnly(_ statement: Statement) throws {
        let text = statement.sql.trimmingCharacters(in: .whitespacesAndNewlines)
        let keyword = text.prefix { $0.isLetter }.uppercased()
        guard ["SELECT", "WITH", "VALUES", "EXPLAIN", "PRAGMA"].contains(keyword), statement.isReadonly else {
            throw CairnError(.invalidInput, "refused: `\(text.prefix(60))` could change the journal; cairn sql only reads "
                + "(SELECT, WITH, VALUES, EXPLAIN, read-only PRAGMA)")
        }
    }

    // MARK: Reading runs

    public func records(for run: RunID) async throws -> [JournalRecord] {
        try read { db in try JournalReader(db: db, run: run).records() }
    }

    public func streamedEvents(for run: RunID, from position: Int, limit: Int) async throws -> [StreamedEvent] {
        try read { db in try StreamQuery.page(db, run: run, from: position, limit: limit) }
    }

    public func contains(_ run: RunID) async throws -> Bool {
        try read { db in try RunListing.summary(db, run) != nil }
    }

    public func runs(_ query: RunQuery) async throws -> RunPage {
        try read { db in try RunListing.page(db, query) }
    }

    public func summary(of run: RunID) async throws -> RunSummary? {
        try read { db in try RunListing.summary(db, run) }
    }

    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.read(body)
        } catch let error as CairnError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_ERROR {
            throw CairnError(.invalidInput, "the SQL failed: \(error.message ?? "\(error)")")
        } catch {
            throw SQLiteJournal.describe(error)
        }
    }

    private static func fetch(_ statement: Statement, arguments: StatementArguments) throws -> Result {
        let columns = statement.columnNames
        let rows = try Row.fetchAll(statement, arguments: arguments).map { row in
            Array(row.databaseValues.map(SQLValue.init))
        }
        return Result(columns: columns, rows: rows)
    }
}
