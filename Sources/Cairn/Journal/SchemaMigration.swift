/// One numbered SQL migration of a schema, compiled in from `Migrations/<schema>/NNNN_name.sql`.
public struct SchemaMigration: Sendable {
    /// `NNNN_name` for the journal's own; `domain/NNNN_name` for a domain's.
    public let identifier: String
    /// Older migrations this one takes the place of: a journal that has one of them applied records this
    /// identifier instead and runs none of the SQL (GRDB's merged migrations).
    public let replaces: [String]
    public let sql: String

    public init(_ identifier: String, replaces: [String] = [], sql: String) {
        self.identifier = identifier
        self.replaces = replaces
        self.sql = sql
    }

    /// The schema the migration belongs to: the domain's name, or `nil` for the journal's own.
    public var domain: String? {
        identifier.firstIndex(of: "/").map { String(identifier[..<$0]) }
    }
}
