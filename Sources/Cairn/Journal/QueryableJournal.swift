import Foundation

/// A journal that answers a user's read-only SQL over its documented views (`cairn sql`): the same view names and
/// columns on every backend, so one query answers on each.
public protocol QueryableJournal: InspectableJournal {
    /// Which SQL the journal speaks, for the few questions whose text differs between backends.
    var dialect: SQLDialect { get }

    /// Runs one read-only statement, its `?` placeholders bound to `arguments` in order (write `CAST(? AS TEXT)` where
    /// a parameter's type is not clear from its place), and returns all its rows: a domain's fixed questions
    /// (`cairn audit`, `cairn ledger`), asked in SQL both backends read alike.
    func read(_ sql: String, _ arguments: [String?]) async throws -> QueryResult

    /// Runs `sql` (one or more statements that only read), streaming each statement's columns, its rows a page at a
    /// time, and its end to `output`. Nothing runs when a statement could write; the whole query stops after `timeout`.
    /// - Throws: ``CairnError`` `invalid-input` for a statement that could write or fails to parse;
    ///   `query-timed-out` when stopped.
    func userQuery(_ sql: String, timeout: Duration, _ output: (QueryOutput) throws -> Void) async throws
}

/// The SQL a journal speaks.
public enum SQLDialect: Sendable {
    case sqlite, postgres
}

/// The rows of one statement.
public struct QueryResult: Sendable {
    public let columns: [String]
    public let rows: [[SQLValue]]

    public init(columns: [String], rows: [[SQLValue]]) {
        self.columns = columns
        self.rows = rows
    }

    /// The rows as dictionaries keyed by column. A name that repeats (`SELECT 1 AS a, 2 AS a`, a join
    /// of tables with the same column) is keyed `a`, `a_2`, `a_3` … in column order.
    public var records: [[String: SQLValue]] { records(camelCase: false) }

    /// ``records``, with `snake_case` column names keyed `camelCase` when asked (a domain command's JSON
    /// speaks the read model's vocabulary; `cairn sql` keeps the user's column names).
    public func records(camelCase: Bool) -> [[String: SQLValue]] {
        let keys = Self.distinct(camelCase ? columns.map(Self.camelCased) : columns)
        return rows.map { Dictionary(uniqueKeysWithValues: zip(keys, $0)) }
    }

    /// `run_id` → `runId`.
    static func camelCased(_ name: String) -> String {
        let parts = name.split(separator: "_")
        return (parts.first.map(String.init) ?? "") + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// Column names made distinct keys, as ``records`` uses them.
    public static func distinct(_ names: [String]) -> [String] {
        var taken = Set<String>()
        return names.map { name in
            var key = name, suffix = 1
            while taken.contains(key) {
                suffix += 1
                key = "\(name)_\(suffix)"
            }
            taken.insert(key)
            return key
        }
    }
}

/// What a user's query hands its printer, as it comes: each statement's columns, its rows a page at a time (memory
/// stays bounded however many rows there are), and its end.
public enum QueryOutput {
    case columns([String])
    case rows([[SQLValue]])
    case end

    /// The rows handed over at a time.
    public static let pageSize = 256
}

extension CairnError {
    /// A user's statement that could change the journal; `reads` lists what may run instead.
    public static func queryRefused(_ sql: String, reads: String) -> CairnError {
        let text = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        return CairnError(.invalidInput, "refused: `\(text.prefix(60))` could change the journal; cairn sql only reads (\(reads))")
    }

    /// A user's query stopped after `timeout`.
    public static func queryTimedOut(_ timeout: Duration) -> CairnError {
        CairnError(.queryTimedOut, "the query ran for \(Int(timeout.seconds.rounded())) s and was stopped; narrow it, or allow more with --timeout")
    }
}
