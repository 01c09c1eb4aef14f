import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Db: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Look after the journal file: its status, a consistency check, migrations.",
        subcommands: [Status.self, Check.self, Migrate.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Schema version, size, row counts and runs by status.")

        @OptionGroup var options: GlobalOptions
        @ParentCommand var root: CairnCommand

        func run() async throws {
            let environment = try CommandEnvironment(options, root: root.global)
            do {
                let path = environment.options.databasePath
                let journal = try ReadOnlyJournal(path: path)
                let version = try journal.rows("SELECT identifier FROM grdb_migrations ORDER BY identifier DESC LIMIT 1").rows.first?.first?.text ?? ""
                func bytes(_ file: String) -> Int { (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0 }
                let size = bytes(path), wal = bytes(path + "-wal")
                let counts = try journal.rows("""
                    SELECT (SELECT COUNT(*) FROM run) AS runs, (SELECT COUNT(*) FROM event) AS events,
                           (SELECT COUNT(*) FROM journal) AS records, (SELECT COUNT(*) FROM ledger_entry) AS ledger_entries
                    """).records.first ?? [:]
                let byStatus = try journal.rows("""
                    SELECT CASE WHEN interrupted = 1 THEN 'interrupted' ELSE status END AS status, COUNT(*) AS runs
                    FROM runs GROUP BY 1 ORDER BY 1
                    """)
                let output = environment.output
                if output.json {
                    output.json(["path": path, "schema": version, "bytes": size, "walBytes": wal, "counts": counts.mapValues(\.json),
                                 "runsByStatus": Dictionary(uniqueKeysWithValues: byStatus.rows.map { ($0[0].text, $0[1].json) })])
                    return
                }
                output.line("journal  \(path)")
                output.line("schema   \(version) (this binary knows \(JournalMigrator.knownMigrations.last ?? ""))")
                output.line("size     \(size) bytes, \(wal) more in the write-ahead log")
                output.line(["runs", "events", "records", "ledger_entries"].map { "\($0) \(counts[$0]?.text ?? "0")" }.joined(separator: ", "))
                output.line("runs by status: " + byStatus.rows.map { "\($0[0].text) \($0[1].text)" }.joined(separator: ", "))
            } catch {
                throw Exit.fail(error)
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the journal: seq gaps, orphans, ledger against stock, SQLite's integrity. Exits 1 on a problem.")

        @OptionGroup var options: GlobalOptions
        @ParentCommand var root: CairnCommand

        func run() async throws {
            let environment = try CommandEnvironment(options, root: root.global)
            do {
                let journal = try environment.readOnlyJournal()
                var problems: [String] = []
                for (name, sql) in JournalCheck.queries {
                    for row in try journal.rows(sql).rows {
                        problems.append("\(name): \(row.map(\.text).joined(separator: " "))")
                    }
                }
                let integrity = try journal.rows("PRAGMA integrity_check").rows.map { $0.first?.text ?? "" }
                if integrity != ["ok"] { problems += integrity.map { "sqlite integrity: \($0)" } }
                let output = environment.output
                if output.json {
                    output.json(["ok": problems.isEmpty, "problems": problems])
                } else {
                    output.line(problems.isEmpty ? "ok: \(JournalCheck.queries.count + 1) checks passed" : problems.joined(separator: "\n"))
                }
                if !problems.isEmpty { throw ExitCode(Exit.runFailed) }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw Exit.fail(error)
            }
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the journal or bring it to this binary's schema (every command also does this on open).")

        @OptionGroup var options: GlobalOptions
        @ParentCommand var root: CairnCommand

        func run() async throws {
            let environment = try CommandEnvironment(options, root: root.global)
            do {
                _ = try environment.journal()
                let applied = JournalMigrator.knownMigrations
                if environment.output.json {
                    environment.output.json(["path": environment.options.databasePath, "migrations": applied])
                } else {
                    environment.output.line("journal \(environment.options.databasePath) is at \(applied.last ?? "")")
                }
            } catch {
                throw Exit.fail(error)
            }
        }
    }
}

/// The consistency checks of `cairn db check`: each query returns one row per problem found.
enum JournalCheck {
    static let queries: [(String, String)] = [
        ("seq gap", """
            SELECT run_id, 'events', COUNT(*), 'max seq', MAX(seq) FROM event GROUP BY run_id HAVING COUNT(*) != MAX(seq)
            """),
        ("orphan event", "SELECT run_id, seq FROM event WHERE run_id NOT IN (SELECT run_id FROM run)"),
        ("event without its commit", """
            SELECT e.run_id, e.seq FROM event AS e WHERE NOT EXISTS (
              SELECT 1 FROM journal AS j WHERE j.run_id = e.run_id AND j.position = e.position)
            """),
        ("run without start", "SELECT run_id FROM run WHERE NOT EXISTS (SELECT 1 FROM event WHERE event.run_id = run.run_id AND seq = 1)"),
        ("execution completed twice", """
            SELECT run_id, execution_id FROM journal WHERE kind = 'execution_finished' AND outcome = 'completed'
            GROUP BY run_id, execution_id HAVING COUNT(*) > 1
            """),
        ("ledger row without its commit", """
            SELECT l.entry_id, l.run_id, l.execution_id FROM ledger_entry AS l WHERE NOT EXISTS (
              SELECT 1 FROM journal AS j WHERE j.run_id = l.run_id AND j.execution_id = l.execution_id
                AND j.kind = 'execution_finished' AND j.outcome = 'completed')
            """),
        ("stock differs from ledger", """
            SELECT s.sku, s.quantity, (SELECT COALESCE(SUM(quantity), 0) FROM ledger_entry AS l WHERE l.sku = s.sku)
            FROM stock_level AS s WHERE s.quantity != (SELECT COALESCE(SUM(quantity), 0) FROM ledger_entry AS l WHERE l.sku = s.sku)
            """),
        ("finished run still leased as unfinished", """
            SELECT run_id, status FROM run WHERE status IN ('completed', 'failed', 'cancelled', 'timed_out') AND finished_at IS NULL
            """),
    ]
}
