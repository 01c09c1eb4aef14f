import Cairn
import GRDB

/// Creates and migrates the journal schema from the SQL files compiled into the binary.
public enum JournalMigrator {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in EmbeddedMigrations.all {
            migrator.registerMigration(migration.name) { db in try db.execute(sql: migration.sql) }
        }
        return migrator
    }

    /// The names of the migrations this binary knows, in order.
    public static var knownMigrations: [String] { EmbeddedMigrations.all.map(\.name) }

    /// Migrates `writer`, refusing a journal written by a newer Cairn.
    static func migrate(_ writer: some DatabaseWriter, path: String) throws {
        let migrator = migrator
        let superseded = try writer.read { db in try migrator.hasBeenSuperseded(db) }
        if superseded {
            let applied = try writer.read { db in try migrator.appliedIdentifiers(db) }
            let unknown = applied.subtracting(knownMigrations).sorted()
            throw CairnError(
                .journalTooNew,
                "journal \(path) was written by a newer Cairn (it has migration \(unknown.joined(separator: ", ")), "
                    + "which this binary does not know); use a newer cairn, or another --db")
        }
        try migrator.migrate(writer)
    }
}
