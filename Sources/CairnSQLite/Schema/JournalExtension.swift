public import Cairn

/// What a domain adds to the journal: its tables (migrations applied after the journal's own, tracked by the same
/// migrator — SQLite's, and PostgreSQL's when it has them), the documented views it creates, and the checks
/// `cairn db check` runs.
///
/// ## Usage
/// ```swift
/// let inventory = JournalExtension(name: "inventory", migrations: InventoryMigrations.all,
///                                  views: InventoryViews.all, checks: InventoryChecks.all)
/// let journal = try SQLiteJournal(path: "cairn.sqlite", extensions: [inventory])
/// ```
public struct JournalExtension: Sendable {
    /// The domain's name; every migration identifier starts with it (`inventory/0001_ledger`).
    public let name: String
    public let migrations: [SchemaMigration]
    /// The same tables on a PostgreSQL journal (`Migrations/postgres-<domain>/`); none when the domain is SQLite's only.
    public let postgresMigrations: [SchemaMigration]
    public let views: [JournalView]
    public let checks: [JournalCheck]
    /// The same checks in PostgreSQL's SQL, for `cairn db check` on a PostgreSQL journal.
    public let postgresChecks: [JournalCheck]

    public init(name: String, migrations: [SchemaMigration], postgresMigrations: [SchemaMigration] = [], views: [JournalView] = [],
                checks: [JournalCheck] = [], postgresChecks: [JournalCheck] = []) {
        precondition((migrations + postgresMigrations).allSatisfy { $0.domain == name }, "every migration of domain '\(name)' is named '\(name)/NNNN_…'")
        self.name = name
        self.migrations = migrations
        self.postgresMigrations = postgresMigrations
        self.views = views
        self.checks = checks
        self.postgresChecks = postgresChecks
    }
}

/// A documented view: what it holds, and its columns with a sentence each (`cairn sql --schema`).
public struct JournalView: Sendable {
    public let name: String
    public let summary: String
    public let columns: [(name: String, meaning: String)]

    public init(name: String, summary: String, columns: [(name: String, meaning: String)]) {
        self.name = name
        self.summary = summary
        self.columns = columns
    }
}

/// A consistency check of `cairn db check`: a query returning one row per problem found.
public struct JournalCheck: Sendable {
    public let name: String
    public let sql: String

    public init(_ name: String, _ sql: String) {
        self.name = name
        self.sql = sql
    }
}
