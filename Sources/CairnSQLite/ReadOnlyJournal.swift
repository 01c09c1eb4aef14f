public import Cairn
import Foundation
import GRDB

/// A read-only connection to a journal for inspection commands: it never writes, and it refuses any
/// statement that could (`cairn sql` runs users' SQL through it).
public final class ReadOnlyJournal: InspectableJournal {
    /// One value of a result row.
    public typealias Value = SQLValue

    /// The rows of one statement.
    public typealias Result = QueryResult

    public let path: String
    let queue: DatabaseQueue

    /// Opens the journal at `path` read-only. Nothing is created, migrated, checkpointed or switched to WAL:
    /// a journal on a read-only mount, or an immutable file, is read as it is.
    /// - Throws: ``CairnError`` `file-not-found` when there is no journal (no file, or an empty one);
    ///   `journal-too-new`; `journal-unavailable` for a database of something else, or a journal at an older
    ///   schema (a writing command, such as `cairn db migrate`, brings it up to date).
    public init(path: String, extensions: [JournalExtension] = []) throws {
        self.path = path
        let noJournal = CairnError(.fileNotFound, "no journal at \(path); pass --db, or start a run first")
        guard JournalFile.hasData(path) else { throw noJournal }
        queue = try JournalFile.openReadOnly(path)
        guard case .journal(let applied) = try JournalFile.contents(of: queue, path: path) else { throw noJournal }
        try JournalMigrator.refuseNewer(applied: Set(applied), path: path, extensions)
        guard JournalMigrator.isCurrent(applied: Set(applied), extensions) else {
            let missing = JournalMigrator.knownMigrations(extensions).filter { !applied.contains($0) }
            throw CairnError(.journalUnavailable, "journal \(path) is at an older schema than this binary's (it lacks \(missing.joined(separator: ", "))), "
                + "and reading never migrates it; run cairn db migrate --db \(path) first")
        }
    }

    /// Writes a consistent copy of the journal to `destination`, a new file (private to its owner), while
    /// runs may be writing to it: SQLite's `VACUUM INTO`, in one read transaction.
    public func backup(to destination: String) throws {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw CairnError(.invalidInput, "\(destination) exists already; back up to a new file")
        }
        try JournalFile.createPrivately(destination)
        do {
            try queue.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [destination]) }
            try JournalWriterMark.clear(in: destination)
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw SQLiteJournal.describe(error)
        }
    }

    /// The migrations applied to the journal, in the order they were applied.
    public func appliedMigrations() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid") }
    }

    /// What SQLite's `integrity_check` finds, a line each (none when the file is sound). Damage bad enough to
    /// stop the check part-way is listed too, after what it found until then.
    public func integrityProblems() -> [String] {
        var lines: [String] = []
        do {
            try queue.read { db in
                let rows = try String.fetchCursor(db, sql: "PRAGMA integrity_check")
                while let row = try rows.next() { lines += row.split(separator: "\n").map(String.init) }
            }
        } catch {
            lines.append("the check stopped: \((error as? DatabaseError)?.message ?? "\(error)")")
        }
        return lines == ["ok"] ? [] : lines.filter { !$0.hasPrefix("*** in database") }
    }

    /// What is wrong with the files beside the journal: a write-ahead log missing while the journal names a
    /// writer (``JournalWriterMark``), or `nil`.
    public func fileProblem() throws -> String? {
        try read { db in try JournalWriterMark.missingLog(db, path: path) }
    }

    /// Runs SQL written by Cairn itself (with text arguments, which SQLite converts to the column's type).
    public var dialect: SQLDialect { .sqlite }

    public func read(_ sql: String, _ arguments: [String?]) throws -> QueryResult {
        try rows(sql, arguments)
    }

    public func rows(_ sql: String, _ arguments: [String?] = []) throws -> Result {
        try read { db in try Self.fetch(try db.makeStatement(sql: sql), arguments: StatementArguments(arguments)) }
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

    func read<T>(_ body: (Database) throws -> T) throws -> T {
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
