import ArgumentParser
import Cairn
import CairnPostgres
import CairnSQLite
import Foundation

struct Db: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Look after the journal file: its status, a consistency check, a backup, migrations, retention.",
        subcommands: [Status.self, Check.self, Backup.self, Migrate.self, Prune.self, Copy.self]
    )

    struct Status: CairnSubcommand {
        static let configuration = CommandConfiguration(abstract: "Schema version, size, row counts, runs by status, and rows and bytes per table.")

        /// `db status --json`.
        struct Document: Encodable {
            let path: String
            let schema: String
            let migrations: [String]
            let bytes: Int
            /// The SQLite journal's write-ahead log; a PostgreSQL journal has none of its own.
            let walBytes: Int?
            let counts: [String: ReadOnlyJournal.Value]
            let runsByStatus: [String: Int]
            /// Per table (its indexes included): rows and bytes on disk, largest first.
            let tables: [TableSize]
        }

        struct TableSize: Encodable {
            let table: String
            let rows: Int
            let bytes: Int
        }

        /// What the backend stores, as `db status` shows it.
        private struct Storage {
            let migrations: [String]
            let known: [String]
            let bytes: Int
            let walBytes: Int?
            /// Each table with its indexes, and its bytes.
            let tables: [(table: String, bytes: Int)]
        }

        /// The file's migrations, its size and its write-ahead log's, and each table's bytes (SQLite's `dbstat`).
        private static func storage(of journal: ReadOnlyJournal, at path: String) throws -> Storage {
            func bytes(_ file: String) -> Int { (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0 }
            let tables = try journal.rows("""
                SELECT COALESCE(m.tbl_name, s.name) AS tbl, SUM(s.pgsize) AS bytes
                FROM dbstat AS s LEFT JOIN sqlite_master AS m ON m.name = s.name
                WHERE COALESCE(m.tbl_name, s.name) NOT LIKE 'sqlite_%' GROUP BY 1
                """).rows.map { ($0[0].text, Int($0[1].text) ?? 0) }
            return Storage(migrations: try journal.appliedMigrations(), known: JournalMigrator.knownMigrations(CairnCLI.journalExtensions),
                           bytes: bytes(path), walBytes: bytes(path + "-wal"), tables: tables)
        }

        /// A PostgreSQL journal's migrations, its database's size, and each table's bytes with its indexes and TOAST.
        private static func postgresStorage(of journal: any QueryableJournal) async throws -> Storage {
            let applied = try await journal.read("SELECT identifier FROM cairn_migration", []).rows.map { $0[0].text }
            let bytes = Int(try await journal.read("SELECT pg_database_size(current_database()) AS bytes", []).rows.first?.first?.text ?? "") ?? 0
            let tables = try await journal.read("""
                SELECT c.relname AS tbl, pg_total_relation_size(c.oid) AS bytes FROM pg_class AS c
                JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = current_schema()
                """, []).rows.map { ($0[0].text, Int($0[1].text) ?? 0) }
            let known = PostgresMigrator.knownMigrations(domains: CairnCLI.journalExtensions.flatMap(\.postgresMigrations)).map(\.identifier)
            // In the order they were applied: the binary's, then any it does not know.
            let migrations = known.filter(applied.contains) + applied.filter { !known.contains($0) }.sorted()
            return Storage(migrations: migrations, known: known, bytes: bytes, walBytes: nil, tables: tables)
        }

        /// Rows and bytes of every table, largest first.
        private static func tableSizes(_ tables: [(table: String, bytes: Int)], in journal: any QueryableJournal) async throws -> [TableSize] {
            var sizes: [TableSize] = []
            for (table, bytes) in tables {
                let escaped = table.replacingOccurrences(of: "\"", with: "\"\"")
                let rows = Int(try await journal.read("SELECT COUNT(*) FROM \"\(escaped)\"", []).rows.first?.first?.text ?? "") ?? 0
                sizes.append(TableSize(table: table, rows: rows, bytes: bytes))
            }
            return sizes.sorted { ($0.bytes, $1.table) > ($1.bytes, $0.table) }
        }

        @OptionGroup var options: GlobalOptions
        @ParentCommand var root: CairnCommand

        func run(in environment: CommandEnvironment) async throws {
            let path = environment.journalPath
            let journal = try await environment.queryableJournal()
            let storage = if let file = journal as? ReadOnlyJournal { try Self.storage(of: file, at: path) } else { try await Self.postgresStorage(of: journal) }
            let counts = try await journal.read("""
                SELECT (SELECT COUNT(*) FROM run) AS runs, (SELECT COUNT(*) FROM event) AS events, (SELECT COUNT(*) FROM journal) AS records
                """, []).records.first ?? [:]
            let byStatus = try await journal.read("""
                SELECT CASE WHEN interrupted = 1 THEN 'interrupted' ELSE status END AS status, COUNT(*) AS runs
                FROM runs GROUP BY 1 ORDER BY 1
                """, []).rows.map { ($0[0].text, Int($0[1].text) ?? 0) }
            let tables = try await Self.tableSizes(storage.tables, in: journal)
            let output = environment.output
            if output.json {
                return output.json(Document(path: path, schema: storage.migrations.last ?? "", migrations: storage.migrations, bytes: storage.bytes,
                                            walBytes: storage.walBytes, counts: counts, runsByStatus: Dictionary(uniqueKeysWithValues: byStatus),
                                            tables: tables))
            }
            output.line("journal  \(path)")
            output.line("schema   \(storage.migrations.joined(separator: ", ")) (this binary knows \(storage.known.joined(separator: ", ")))")
            output.line("size     \(storage.bytes) bytes" + (storage.walBytes.map { ", \($0) more in the write-ahead log" } ?? ""))
            output.line(["runs", "events", "records"].map { "\($0) \(counts[$0]?.text ?? "0")" }.joined(separator: ", "))
            output.line("runs by status: " + byStatus.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
            output.line("")
            Table(header: ["TABLE", "ROWS", "BYTES"], rows: tables.map { [$0.table, "\($0.rows)", "\($0.bytes)"] }).lines.forEach(output.line)
        }
    }

    struct Check: CairnSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the journal: seq gaps, orphans, each domain's own checks, SQLite's integrity, and that every run rebuilds. Exits 1 on a problem.")

        /// `db check --json`.
        struct Document: Encodable {
            let ok: Bool
            let problems: [String]
        }

        @OptionGroup var options: GlobalOptions
        @ParentCommand var root: CairnCommand

        func run(in environment: CommandEnvironment) async throws {
            let journal = try await environment.queryableJournal()
            // SQLite's integrity, the files and the snapshots are the file journal's; PostgreSQL keeps no snapshots.
            let file = journal as? ReadOnlyJournal
            let checks = JournalChecks.core + CairnCLI.journalExtensions.flatMap { file == nil ? $0.postgresChecks : $0.checks }
            var problems: [String] = []
            // A check that cannot run on a damaged file is itself a problem listed, never the end of the check.
            func listing(_ name: String, _ body: () async throws -> [String]) async {
                do {
                    problems += try await body()
                } catch {
                    problems.append("\(name): could not run: \(error)")
                }
            }
            let integrity = file?.integrityProblems() ?? []
            problems += integrity.map { "sqlite integrity: \($0)" }
            if let file { await listing("journal file") { try file.fileProblem().map { ["journal file: \($0)"] } ?? [] } }
            for check in checks {
                await listing(check.name) { try await journal.read(check.sql, []).rows.map { "\(check.name): \($0.map(\.text).joined(separator: " "))" } }
            }
            // On a file SQLite finds damaged, every run's rebuild would fail the same way: the integrity rows say it.
            if integrity.isEmpty { await listing("run rebuild") { try await Self.unrebuildableRuns(journal) } }
            if let file, integrity.isEmpty { await listing("snapshots") { try await Db.snapshotProblems(file) } }
            let output = environment.output
            if output.json {
                output.json(Document(ok: problems.isEmpty, problems: problems))
            } else {
                output.line(problems.isEmpty ? "ok: \(checks.count + (file == nil ? 1 : 4)) checks passed" : problems.joined(separator: "\n"))
            }
            if !problems.isEmpty { throw ExitCode(Exit.runFailed) }
        }

        /// Every run of a registered workflow fed through the state machine, as resume would: undecodable
        /// payloads, unknown events and impossible records, each with its run and record.
        private static func unrebuildableRuns(_ journal: any InspectableJournal) async throws -> [String] {
            let graphs = Dictionary(CairnCLI.workflows.map { ($0.name, $0.graph) }, uniquingKeysWith: { first, _ in first })
            var problems: [String] = []
            for run in try await journal.allRuns(RunQuery(limit: 500)) {
                // A workflow this binary does not have, or a run whose history was pruned: nothing to rebuild.
                guard let graph = graphs[run.workflow], run.prunedAt == nil else { continue }
                if let problem = await Engine.rebuildProblem(of: run.runID, graph: graph, in: journal) {
                    problems.append("run rebuild: \(problem)")
                }
            }
            return problems
        }
    }

    /// Every snapshot recomputed from its run's log (contract 3: a snapshot is a cache of the log).
    private static func snapshotProblems(_ journal: ReadOnlyJournal) async throws -> [String] {
        let graphs = Dictionary(CairnCLI.workflows.map { ($0.name, $0.graph) }, uniquingKeysWith: { first, _ in first })
        var problems: [String] = []
        for row in try journal.rows("SELECT s.run_id, r.workflow FROM snapshot AS s JOIN run AS r USING (run_id) WHERE r.pruned_at IS NULL").rows {
            guard let run = RunID(row[0].text), let graph = graphs[row[1].text] else { continue }
            if let problem = await Engine.snapshotProblem(of: run, graph: graph, in: journal) { problems.append("snapshot: \(problem)") }
        }
        return problems
    }

    struct Backup: CairnSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the journal to a new file, consistent even while runs are writing to it.",
            discussion: """
                A plain cp of an SQLite journal is complete only when no process has it open; this copies one snapshot \
                (SQLite's VACUUM INTO). A PostgreSQL journal is dumped by pg_dump (custom format, one snapshot while \
                workers write; it must be on PATH); restore it into an empty database with pg_restore --dbname URL FILE.
                """)

        @Argument(help: ArgumentHelp("The new file (it must not exist).", valueName: "path"))
        var destination: String

        @OptionGroup var options: GlobalOptions
        @ParentCommand var root: CairnCommand

        func run(in environment: CommandEnvironment) async throws {
            if let postgres = environment.postgres {
                try await PostgresDump.dump(postgres, to: destination)
            } else {
                try environment.readOnlyJournal().backup(to: destination)
            }
            if environment.output.json {
                environment.output.json(["path": environment.journalPath, "backup": destination])
            } else {
                environment.output.line("journal \(environment.journalPath) backed up to \(destination)"
                    + (environment.isPostgres ? " (pg_dump's custom format: restore with pg_restore into an empty database)" : ""))
            }
        }
    }

    struct Migrate: CairnSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the journal or bring it to this binary's schema (every writing command also does this on open).")

        /// `db migrate --json`.
        struct Document: Encodable {
            let path: String
            let migrations: [String]
        }

        @OptionGroup var options: GlobalOptions
        @ParentCommand var root: CairnCommand

        func run(in environment: CommandEnvironment) async throws {
            _ = try await environment.journal()
            let applied = environment.isPostgres
                ? PostgresMigrator.knownMigrations(domains: CairnCLI.journalExtensions.flatMap(\.postgresMigrations)).map(\.identifier)
                : JournalMigrator.knownMigrations(CairnCLI.journalExtensions)
            if environment.output.json {
                environment.output.json(Document(path: environment.journalPath, migrations: applied))
            } else {
                environment.output.line("journal \(environment.journalPath) is at \(applied.last ?? "")")
            }
        }
    }
}
