import Cairn
import CairnPostgres
import CairnTesting
import Foundation
import FoundationNetworking
import PostgresNIO
import PostgresTestSupport
import Testing

/// `replay`, `export`, `diff`, `audit` and `ledger` read a PostgreSQL journal as they read a file: the same history
/// (`db copy`) gives the same output on both.
@Suite("PostgreSQL: replay, export, diff, audit and ledger", .enabled(if: PostgresServer.url != nil, PostgresServer.skipReason), .hangGuard)
struct PostgresInspectionTests {
    /// An SQLite journal holding a `feedback-monitor` run of `cycles` for each seed, copied into the fresh database at
    /// `location` with `db copy`: the file's path, and the database's URL and password.
    static func copiedHistory(seeds: [Int], cycles: Int, to location: PostgresLocation) async throws -> (db: String, url: String, password: String) {
        let (url, password) = PostgresWorkerTests.url(of: location)
        let directory = try TemporaryDirectory()
        let db = directory.path("src.sqlite")
        for seed in seeds {
            let input = #"{"sku": "Apple", "cycles": \#(cycles), "delayMs": 0, "seed": \#(seed)}"#
            let done = try await cairn(["run", "feedback-monitor", "--db", db, "--input", input])
            #expect(done.status == 0, "\(done.stderr)")
        }
        let copy = try await cairn(["db", "copy", "--from", db, "--to", url], environment: ["PGPASSWORD": password])
        #expect(copy.status == 0, "\(copy.stderr)")
        return (db, url, password)
    }

    @Test("replay --check, export, diff, audit and ledger print on a PostgreSQL journal what they print on the SQLite journal it was copied from")
    func sameOutput() async throws {
        try await PostgresServer.withFreshDatabase { location in
            let (db, url, password) = try await Self.copiedHistory(seeds: [3, 4], cycles: 3, to: location)
            let postgres = ["PGPASSWORD": password]
            let listed = try await cairn(["list", "--db", db, "--json"])
            guard case .array(let listing)? = JSONValue(json: Data(listed.stdout.utf8)) else {
                Issue.record("list --json: \(listed.stdout)")
                return
            }
            let runs = listing.compactMap { run -> String? in if case .string(let id)? = run["runId"] { id } else { nil } }
            try #require(runs.count == 2, "\(listed.stdout)")

            for arguments in [["replay", "--check", "--all"], ["diff", runs[0], runs[1]], ["diff", runs[0], runs[1], "--json"],
                              ["audit", "Apple"], ["audit", "Apple", "--json", "--since", "2026-01-01"], ["audit", "Apple", "--until", "2000-01-01"],
                              ["ledger"], ["ledger", "--json", "--sku", "Apple"], ["ledger", "--run", runs[1], "--json"], ["ledger", "--sku", "Pear"],
                              ["draw", "--run", runs[0]], ["draw", "--run", runs[1], "--format", "dot"]] {
                let file = try await cairn(arguments + ["--db", db])
                let server = try await cairn(arguments + ["--db", url], environment: postgres)
                #expect(server.status == file.status && server.stdout == file.stdout, "\(arguments): \(file.stdout) | \(server.stdout) \(server.stderr)")
                #expect(!file.stdout.isEmpty, "\(arguments) printed nothing")
            }
            let replayed = try await cairn(["replay", "--check", "--all", "--db", url], environment: postgres)
            #expect(replayed.status == 0 && replayed.stdout.components(separatedBy: "ok ").count - 1 == 2, "\(replayed.stdout)")

            for run in runs {
                let file = try await cairn(["export", run, "--db", db])
                let server = try await cairn(["export", run, "--db", url], environment: postgres)
                #expect(server.status == 0, "\(server.stderr)")
                func archived(_ text: String) -> JSONValue? {
                    guard case .object(var document)? = JSONValue(json: Data(text.utf8)) else { return nil }
                    document["exportedAt"] = nil  // the moment of each export
                    return .object(document)
                }
                #expect(archived(server.stdout) == archived(file.stdout) && archived(file.stdout) != nil, "export of \(run) differs")
            }
        }
    }

    @Test("db status on PostgreSQL: its migrations in order, the database's size, the same counts as the SQLite source, every table's rows and bytes")
    func status() async throws {
        try await PostgresServer.withFreshDatabase { location in
            let (db, url, password) = try await Self.copiedHistory(seeds: [3], cycles: 2, to: location)
            let file = try await cairn(["db", "status", "--db", db, "--json"])
            let server = try await cairn(["db", "status", "--db", url, "--json"], environment: ["PGPASSWORD": password])
            #expect(server.status == 0, "\(server.stderr)")
            guard case .object(let fileStatus)? = JSONValue(json: Data(file.stdout.utf8)),
                  case .object(let serverStatus)? = JSONValue(json: Data(server.stdout.utf8)) else {
                Issue.record("db status --json: \(file.stdout) | \(server.stdout)")
                return
            }
            #expect(serverStatus["counts"] == fileStatus["counts"] && serverStatus["runsByStatus"] == fileStatus["runsByStatus"], "\(server.stdout)")
            #expect(serverStatus["schema"] == .string("inventory/0002_views") && serverStatus["walBytes"] == nil, "\(server.stdout)")
            guard case .array(let tables)? = serverStatus["tables"], case .integer(let bytes)? = serverStatus["bytes"] else {
                Issue.record("db status --json: \(server.stdout)")
                return
            }
            let rows = Dictionary(uniqueKeysWithValues: tables.compactMap { table -> (String, Int64)? in
                guard case .string(let name)? = table["table"], case .integer(let rows)? = table["rows"] else { return nil }
                return (name, rows)
            })
            #expect(rows["run"] == 1 && rows["ledger_entry"] == 2 && (rows["journal"] ?? 0) > 10, "\(rows)")
            #expect(bytes > 0)
            let text = try await cairn(["db", "status", "--db", url], environment: ["PGPASSWORD": password])
            #expect(text.stdout.contains("runs by status: completed 1") && !text.stdout.contains(password), "\(text.stdout)")
        }
    }

    @Test("serve on PostgreSQL answers the inventory's audit and ledger paths with what the commands print")
    func servedInventory() async throws {
        try await PostgresServer.withFreshDatabase { location in
            let (_, url, password) = try await Self.copiedHistory(seeds: [3], cycles: 3, to: location)
            let postgres = ["PGPASSWORD": password]
            let server = try spawnCairn(["serve", "--port", "0", "--db", url], environment: postgres)
            let said = try #require(await server.stderrUntil(" (the API's contract"), "the server said where it listens")
            #expect(!said.contains("not served"), "\(said)")
            let address = try #require(said.split(separator: "\n").first { $0.hasPrefix("cairn: serving ") }?.split(separator: " ")[2])
            for (path, command) in [("/v1/inventory/ledger?sku=Apple", ["ledger", "--json", "--sku", "Apple"]),
                                    ("/v1/inventory/audit/Apple", ["audit", "Apple", "--json"])] {
                let (body, response) = try await URLSession.shared.data(from: try #require(URL(string: "\(address)\(path)")))
                let printed = try await cairn(command + ["--db", url], environment: postgres)
                #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(path): \(String(decoding: body, as: UTF8.self))")
                #expect(JSONValue(json: body) == JSONValue(json: Data(printed.stdout.utf8)) && printed.stdout.count > 10,
                        "\(path): \(String(decoding: body, as: UTF8.self)) | \(printed.stdout)")
            }
            server.signal(SIGTERM)
            let stopped = await server.finish()
            #expect(stopped.status == 0, "\(stopped.stderr)")
        }
    }

    @Test("db check on PostgreSQL: a sound copy passes; a seq gap and a stock level that differs from its ledger are each named, exit 1")
    func check() async throws {
        try await PostgresServer.withFreshDatabase { location in
            let (_, url, password) = try await Self.copiedHistory(seeds: [3], cycles: 3, to: location)
            let postgres = ["PGPASSWORD": password]
            let sound = try await cairn(["db", "check", "--db", url], environment: postgres)
            #expect(sound.status == 0 && sound.stdout.hasPrefix("ok: "), "\(sound.stdout) \(sound.stderr)")
            try await PostgresServer.admin(location) { admin in
                try await admin.query("UPDATE stock_level SET quantity = quantity + 5", logger: PostgresServer.logger)
                try await admin.query("DELETE FROM event WHERE seq = 2", logger: PostgresServer.logger)
            }
            let damaged = try await cairn(["db", "check", "--db", url, "--json"], environment: postgres)
            #expect(damaged.status == 1, "\(damaged.stdout) \(damaged.stderr)")
            for named in ["seq gap: ", "stock differs from ledger: Apple"] {
                #expect(damaged.stdout.contains(named), "\(named) in \(damaged.stdout)")
            }
        }
    }

    @Test("db prune on PostgreSQL prunes what it prunes in the file it was copied from; summaries, audit and ledger stay, replay says why it cannot")
    func prune() async throws {
        try await PostgresServer.withFreshDatabase { location in
            let (db, url, password) = try await Self.copiedHistory(seeds: [3, 4], cycles: 2, to: location)
            let postgres = ["PGPASSWORD": password]
            let auditBefore = try await cairn(["audit", "Apple", "--json", "--db", url], environment: postgres)
            let runs = try await cairn(["list", "--json", "--db", url], environment: postgres)
            let run = try #require(runs.stdout.firstMatch(of: /"runId":"([0-9a-f-]{36})"/)?.1).description

            let file = try await cairn(["db", "prune", "--finished-before", "2099-01-01", "--json", "--db", db])
            let server = try await cairn(["db", "prune", "--finished-before", "2099-01-01", "--json", "--db", url], environment: postgres)
            #expect(server.status == 0, "\(server.stderr)")
            guard case .object(var fromFile)? = JSONValue(json: Data(file.stdout.utf8)),
                  case .object(let fromServer)? = JSONValue(json: Data(server.stdout.utf8)) else {
                Issue.record("db prune --json: \(file.stdout) | \(server.stdout)")
                return
            }
            fromFile["freePages"] = nil  // the file's own; PostgreSQL's autovacuum reclaims the space
            #expect(fromServer == fromFile && fromServer["pruned"] == .integer(2), "\(server.stdout) | \(file.stdout)")

            let again = try await cairn(["db", "prune", "--finished-before", "2099-01-01", "--db", url], environment: postgres)
            #expect(again.stdout.contains("pruned the history of 0 run(s)") && again.stdout.contains("autovacuum"), "\(again.stdout)")
            let auditAfter = try await cairn(["audit", "Apple", "--json", "--db", url], environment: postgres)
            #expect(auditAfter.stdout == auditBefore.stdout && auditAfter.stdout.count > 10)
            let shown = try await cairn(["show", run, "--db", url], environment: postgres)
            #expect(shown.stdout.contains("completed") && shown.stdout.contains("history      pruned at"), "\(shown.stdout)")
            let replay = try await cairn(["replay", run, "--db", url], environment: postgres)
            #expect(replay.status == 1 && replay.stderr.contains("pruned") && replay.stderr.split(separator: "\n").count == 1, "\(replay.stderr)")
            let check = try await cairn(["db", "check", "--db", url], environment: postgres)
            #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        }
    }

    @Test("db backup on PostgreSQL dumps with pg_dump to a private new file that pg_restore brings back whole; an existing file, a missing pg_dump, a refused password and a database without a journal are each one sentence, leaving no file")
    func backup() async throws {
        try await PostgresServer.withFreshDatabase { location in
            let (_, url, password) = try await Self.copiedHistory(seeds: [3, 4], cycles: 2, to: location)
            let postgres = ["PGPASSWORD": password]
            let directory = try TemporaryDirectory()
            let dump = directory.path("journal.dump")
            let backedUp = try await cairn(["db", "backup", dump, "--db", url], environment: postgres)
            #expect(backedUp.status == 0 && backedUp.stdout.contains("pg_restore") && !backedUp.stdout.contains(password), "\(backedUp.stdout) \(backedUp.stderr)")
            let mode = try FileManager.default.attributesOfItem(atPath: dump)[.posixPermissions] as? Int
            #expect(mode == 0o600, "the dump holds every run: only its owner reads it")

            // Restored into an empty database, it is the same journal.
            try await PostgresServer.withFreshDatabase { restored in
                let (restoredURL, _) = PostgresWorkerTests.url(of: restored)
                let libpq = ["PGHOST": restored.host, "PGPORT": "\(restored.port)", "PGUSER": restored.user, "PGPASSWORD": password]
                let pgRestore = try await runToEnd("/usr/bin/env", ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", restored.database, dump],
                                                   environment: ProcessInfo.processInfo.environment.merging(libpq) { $1 })
                #expect(pgRestore.status == 0, "\(pgRestore.stderr)")
                for arguments in [["list", "--json"], ["audit", "Apple", "--json"], ["ledger", "--json"]] {
                    let original = try await cairn(arguments + ["--db", url], environment: postgres)
                    let copy = try await cairn(arguments + ["--db", restoredURL], environment: postgres)
                    #expect(copy.status == 0 && copy.stdout == original.stdout && original.stdout.count > 10, "\(arguments): \(copy.stdout) \(copy.stderr)")
                }
                let check = try await cairn(["db", "check", "--db", restoredURL], environment: postgres)
                #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
            }

            let before = try Data(contentsOf: URL(fileURLWithPath: dump))
            let exists = try await cairn(["db", "backup", dump, "--db", url], environment: postgres)
            #expect(exists.status == 65 && exists.stderr.contains("exists already"), "\(exists.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: dump)) == before, "the existing file is not touched")

            let other = directory.path("other.dump")
            let noProgram = try await cairn(["db", "backup", other, "--db", url], environment: postgres.merging(["PATH": directory.path("bin")]) { $1 })
            #expect(noProgram.status == 66 && noProgram.stderr.contains("pg_dump, which is not on PATH"), "\(noProgram.stderr)")
            let refused = try await cairn(["db", "backup", other, "--db", url], environment: ["PGPASSWORD": "wrong-\(password)"])
            #expect(refused.status == 1 && refused.stderr.contains("ould not back up") && refused.stderr.contains("password authentication failed") && !refused.stderr.contains(password), "\(refused.status) \(refused.stderr)")
            // A --db that names a database without a journal (a wrong URL) is refused, and nothing is created in it.
            try await PostgresServer.withFreshDatabase { empty in
                let (wrong, _) = PostgresWorkerTests.url(of: empty)
                let noJournal = try await cairn(["db", "backup", other, "--db", wrong], environment: postgres)
                #expect(noJournal.status == 66 && noJournal.stderr.contains("holds no Cairn journal; nothing was backed up"), "\(noJournal.stderr)")
                let tables = try await PostgresServer.admin(empty) { admin in
                    try await admin.query("SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public'", logger: PostgresServer.logger)
                        .decode(Int.self).reduce(0) { $1 }
                }
                #expect(tables == 0, "the database was left as it was")
            }
            for said in [noProgram.stderr, refused.stderr] { #expect(said.split(separator: "\n").count == 1, "\(said)") }
            #expect(!FileManager.default.fileExists(atPath: other))
        }
    }
}
