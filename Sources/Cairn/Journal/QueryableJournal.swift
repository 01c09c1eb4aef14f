import Foundation

/// A journal that answers a user's read-only SQL over its documented views (`cairn sql`): the same view names and
/// columns on every backend, so one query answers on each.
public protocol QueryableJournal: Sendable {
    /// Runs `sql` (one or more statements that only read), streaming each statement's columns, its rows a page at a
    /// time, and its end to `output`. Nothing runs when a statement could write; the whole query stops after `timeout`.
    /// - Throws: ``CairnError`` `invalid-input` for a statement that could write or fails to parse;
    ///   `query-timed-out` when stopped.
    func userQuery(_ sql: String, timeout: Duration, _ output: (QueryOutput) throws -> Void) async throws
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
