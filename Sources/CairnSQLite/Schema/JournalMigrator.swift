import Cairn
import GRDB

/// Creates and migrates the journal schema, and the schemas of the domains plugged into it, from the SQL
/// files compiled into the binary.
public enum JournalMigrator {
    /// Migrations that releases before domains were plug-ins shipped among the journal's own: a journal that
    /// has them is not from a newer Cairn (the domain that owns them now replaces them, when it is plugged in).
    static let formerDomainMigrations: Set<String> = ["0002_inventory_ledger"]

    static func migrator(_ extensions: [JournalExtension]) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in JournalMigrations.all + extensions.flatMap(\.migrations) {
            migrator.registerMigration(migration.identifier, merging: Set(migration.replaces)) { db, replaced in
                guard replaced.isEmpty else { return }  // the journal has the tables already, from the replaced migration
                try db.execute(sql: migration.sql)
            }
        }
        return migrator
    }

    /// The migrations this binary applies, in order, with `extensions` plugged in.
    public static func knownMigrations(_ extensions: [JournalExtension] = []) -> [String] {
        (JournalMigrations.all + extensions.flatMap(\.migrations)).map(\.identifier)
    }

    /// Applied migrations of a schema this binary has (the journal's, or a plugged-in domain's) that it
    /// does not know: the journal was written by a newer Cairn. A domain this binary lacks is left alone.
    static func unknownMigrations(applied: Set<String>, _ extensions: [JournalExtension]) -> [String] {
        let known = Set(knownMigrations(extensions)).union(formerDomainMigrations)
        let domains = Set(extensions.map(\.name))
        return applied.filter { identifier in
            guard !known.contains(identifier) else { return false }
            let domain = SchemaMigration(identifier, sql: "").domain
            return domain.map(domains.contains) ?? true
        }.sorted()
    }

    /// Migrates `writer`, refusing a journal written by a newer Cairn.
    static func migrate(_ writer: some DatabaseWriter, path: String, extensions: [JournalExtension]) throws {
        let migrator = migrator(extensions)
        let applied = try writer.read { db in try migrator.appliedIdentifiers(db) }
        try refuseNewer(applied: applied, path: path, extensions)
        try migrator.migrate(writer)
    }

    /// Whether a journal with these migrations applied needs none of this binary's.
    static func isCurrent(applied: Set<String>, _ extensions: [JournalExtension]) -> Bool {
        Set(knownMigrations(extensions)).isSubset(of: applied)
    }

    static func refuseNewer(applied: Set<String>, path: String, _ extensions: [JournalExtension]) throws {
        let unknown = unknownMigrations(applied: applied, extensions)
        guard unknown.isEmpty else {
            throw CairnError(
                .journalTooNew,
                "journal \(path) was written by a newer Cairn (it has migration \(unknown.joined(separator: ", ")), "
                    + "which this binary does not know); use a newer cairn, or another --db")
        }
    }
}
