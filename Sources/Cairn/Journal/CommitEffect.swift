public import Foundation

/// A database write that belongs to a step's commit: applied by the journal inside the same
/// transaction as the step's completion record, so it happens exactly once, or not at all.
///
/// Steps add effects with ``WorkflowContext/commit(_:)``. A journal with a database applies every
/// ``DatabaseEffect`` and refuses a commit carrying any other kind; the in-memory journal keeps every
/// committed effect in order, for tests.
public protocol CommitEffect: Sendable {}

/// A commit effect written as SQL against the step's commit transaction, which every database backend
/// provides: statements with `?` arguments, and queries whose reads decide the writes (they see the same
/// transaction). No storage library's types appear, so one effect serves SQLite and, later, PostgreSQL.
///
/// ## Usage
/// ```swift
/// struct Deposit: DatabaseEffect {
///     let account: String, amount: Int
///     func apply(in transaction: any CommitTransaction, origin: CommitOrigin) throws {
///         try transaction.execute("UPDATE balance SET amount = amount + ? WHERE account = ?", [.integer(Int64(amount)), .text(account)])
///     }
/// }
/// ```
public protocol DatabaseEffect: CommitEffect {
    /// Writes the effect. Throwing rolls back this step's whole commit; the attempt fails and is retried per
    /// its policy (a storage failure — a full disk — fails the whole append instead).
    func apply(in transaction: any CommitTransaction, origin: CommitOrigin) throws
}

/// The step's commit transaction, as a database effect sees it.
public protocol CommitTransaction {
    /// Runs one statement, binding `arguments` to its `?` placeholders in order.
    func execute(_ sql: String, _ arguments: [SQLValue]) throws
    /// The rows of a query, each as its column values in order.
    func query(_ sql: String, _ arguments: [SQLValue]) throws -> [[SQLValue]]
}

/// One SQL value: an argument or a column of a result row.
public enum SQLValue: Sendable, Equatable, Encodable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)

    /// The value as text for tables and CSV; NULL as an empty string.
    public var text: String {
        switch self {
        case .null: ""
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .text(let value): value
        case .blob(let data): data.base64EncodedString()
        }
    }

    /// The value as an integer, when it is one.
    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .integer(let value): try container.encode(value)
        case .real(let value): try container.encode(value)
        case .text(let value): try container.encode(value)
        case .blob(let data): try container.encode(data.base64EncodedString())
        }
    }
}

/// Where a commit effect comes from: the run, the step execution and the events that triggered it.
public struct CommitOrigin: Sendable {
    public let runID: RunID
    public let executionID: Int
    public let step: String
    public let attempt: Int
    /// The trigger events of the execution (the "decision event" of a ledger row).
    public let triggers: [(name: String, seq: Int)]
    /// When the step's commit was made (the engine's clock).
    public let at: Date
}
