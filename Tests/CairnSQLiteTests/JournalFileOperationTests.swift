import Cairn
import CairnInventory
import CairnSQLite
import CairnTesting
import Foundation
import GRDB
import Testing

/// The journal file under what users do with files: copy it, delete parts of it, point Cairn at someone
/// else's database, open it from many processes at once, mount it read-only.
@Suite("The journal file under real operations", .hangGuard)
struct JournalFileOperationTests {
    @Test("after a writing command exits, the journal file alone holds every run: a cp of it is complete")
    func copyAfterExit() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("j.sqlite")
        for _ in 0..<3 { #expect(try await cairn(["run", "hello", "--db", db]).status == 0) }
        #expect(!FileManager.default.fileExists(atPath: db + "-wal"), "the WAL was checkpointed and removed on exit")
        let copy = directory.path("copy.sqlite")
        try FileManager.default.copyItem(atPath: db, toPath: copy)
        let listed = try await cairn(["list", "--db", copy, "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect((try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [Any])?.count == 3)
    }

    @Test("db backup copies a consistent journal while a run is writing to it")
    func backupWhileLive() async throws {
        let run = try await BackgroundRun.start("feedback-monitor", input: #"{"sku": "Apple", "cycles": 20, "delayMs": 200}"#, journaled: 6)
        defer { run.process.signal(SIGKILL) }
        let backup = run.directory.path("backup.sqlite")
        let made = try await cairn(["db", "backup", backup, "--db", run.db])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("backed up to \(backup)"))
        let shown = try await cairn(["show", run.id, "--db", backup, "--json"])
        #expect(shown.status == 0, "\(shown.stderr)")
        let check = try await cairn(["db", "check", "--db", backup])
        #expect(check.status == 0, "\(check.stdout)")
        #expect(try permissions(backup) == 0o600)
        let again = try await cairn(["db", "backup", backup, "--db", run.db])
        #expect(again.status == 65 && again.stderr.contains("exists already"))
    }

    @Test("db check reports a copy of the main file taken while a run writes (its WAL left behind); the live journal checks ok")
    func copyWithoutItsLogIsReported() async throws {
        // The writer stops itself after its third commit: the copy is taken mid-run, with no commit or checkpoint
        // racing it (and no reader polling the file while the writer opened it).
        let run = try await BackgroundRun.paused("feedback-monitor", input: #"{"sku": "Apple", "cycles": 20, "delayMs": 200}"#,
                                                 at: "after-commit:3")
        defer { run.process.signal(SIGKILL) }
        let copy = run.directory.path("copy.sqlite")
        try FileManager.default.copyItem(atPath: run.db, toPath: copy)
        let live = try await cairn(["db", "check", "--db", run.db])
        #expect(live.status == 0, "\(live.stdout)")
        // Reading the copy first creates an empty log beside it: that must not hide the loss.
        #expect(try await cairn(["list", "--db", copy]).status == 0)
        let checked = try await cairn(["db", "check", "--db", copy])
        #expect(checked.status == 1 && checked.stdout.contains("write-ahead log \(copy)-wal is missing"), "\(checked.stdout)")
        #expect(checked.stdout.contains("cairn db backup"))
    }

    @Test("db check reports a journal whose WAL was deleted after its writer was killed")
    func logDeletedAfterCrashIsReported() async throws {
        let run = try await BackgroundRun.crashed("feedback-monitor", input: #"{"sku": "Apple", "cycles": 8, "delayMs": 1}"#, at: "after-commit:4")
        try FileManager.default.removeItem(atPath: run.db + "-wal")
        try? FileManager.default.removeItem(atPath: run.db + "-shm")
        let checked = try await cairn(["db", "check", "--db", run.db])
        #expect(checked.status == 1 && checked.stdout.contains("-wal is missing"), "\(checked.stdout)")
    }

    @Test("deleting the WAL under a live run stops it with one sentence and exit 1, never 'completed'")
    func walDeletedMidRun() async throws {
        // Stopped at a known commit (SIGSTOP), so the deletion lands mid-run however slowly this test is scheduled.
        let run = try await BackgroundRun.paused("feedback-monitor", input: #"{"sku": "Apple", "cycles": 60, "delayMs": 1}"#, at: "after-commit:6")
        try FileManager.default.removeItem(atPath: run.db + "-wal")
        run.process.signal(SIGCONT)
        let result = await run.process.finish()
        #expect(result.status == 1, "\(result.stdout)")
        #expect(!result.stdout.contains("completed"))
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.contains("was deleted or replaced") == true, "\(result.stderr)")
    }

    @Test("deleting the journal under a live run stops it too, and does not create an empty journal in its place")
    func journalDeletedMidRun() async throws {
        let run = try await BackgroundRun.paused("feedback-monitor", input: #"{"sku": "Apple", "cycles": 60, "delayMs": 1}"#, at: "after-commit:6")
        try FileManager.default.removeItem(atPath: run.db)
        run.process.signal(SIGCONT)
        let result = await run.process.finish()
        #expect(result.status == 1 && result.stderr.contains("was deleted or replaced"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: run.db))
    }

    @Test("an SQLite database of another application is refused by every command and left byte-identical")
    func foreignDatabaseUntouched() async throws {
        let directory = try TemporaryDirectory()
        let app = directory.path("app.db")
        try await DatabaseQueue(path: app).write { db in
            try db.execute(sql: "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada')")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: app))
        let commands: [[String]] = [
            ["sql", "SELECT name FROM sqlite_master"], ["list"], ["run", "hello"], ["db", "migrate"], ["db", "status"],
            ["db", "check"], ["resume", "--all"], ["show", RunID().description],
        ]
        for command in commands {
            let result = try await cairn(command + ["--db", app])
            #expect(result.status == 1, "\(command): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("of something else"), "\(command): \(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: app)) == before)
        #expect(!FileManager.default.fileExists(atPath: app + "-wal"))
    }

    @Test("a 0-byte file is a new journal only for writing commands; reading ones leave it empty")
    func emptyFile() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("empty.sqlite")
        #expect(FileManager.default.createFile(atPath: db, contents: Data()))
        for command in [["list"], ["sql", "SELECT 1"], ["db", "status"], ["db", "check"]] {
            let result = try await cairn(command + ["--db", db])
            #expect(result.status == 66 && result.stderr.lowercased().contains("no journal at"), "\(command): \(result.stderr)")
        }
        #expect(try FileManager.default.attributesOfItem(atPath: db)[.size] as? Int == 0)
        #expect(try await cairn(["run", "hello", "--db", db]).status == 0)
        #expect(try await cairn(["list", "--db", db]).stdout.contains("hello"))
    }

    @Test("twenty processes starting the first runs of a journal that does not exist yet all start and finish")
    func concurrentFirstUse() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("new.sqlite")
        let processes = try (0..<20).map { _ in try spawnCairn(["run", "hello", "--db", db]) }
        var failures: [String] = []
        for process in processes {
            let result = await process.finish()
            if result.status != 0 { failures.append(result.stderr) }
        }
        #expect(failures.isEmpty, "\(failures.first ?? "")")
        #expect(try withJournalDatabase(db) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM run WHERE status = 'completed'") } == 20)
    }

    @Test("twenty processes starting one new run id at once: one run; each returns it (exit 0) or names its live owner (exit 3)")
    func concurrentStartOfOneID() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("race.sqlite")
        #expect(try await cairn(["db", "migrate", "--db", db]).status == 0)
        let id = UUID().uuidString.lowercased()
        let processes = try (0..<20).map { _ in
            try spawnCairn(["run", "hello", "--db", db, "--id", id, "--input", #"{"name": "Ada"}"#])
        }
        for process in processes {
            let result = await process.finish()
            #expect(result.status == 0 || (result.status == 3 && result.stderr.contains("is owned by")), "\(result.status): \(result.stderr)")
            #expect(!result.stderr.contains("UNIQUE") && !result.stderr.contains("exists already"), "\(result.stderr)")
            if result.status == 0 { #expect(result.stdout.contains("Hello, Ada"), "\(result.stdout)") }
        }
        #expect(try withJournalDatabase(db) { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM run") } == 1)
    }

    @Test("journal, WAL and shared-memory files are created private to their owner (0600)")
    func privateFiles() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("j.sqlite")
        let journal = try SQLiteJournal(path: db)
        _ = try await Engine(journal: journal).start(HelloWorkflow(), input: HelloInput(name: "x"), options: RunOptions()).result
        for file in [db, db + "-wal", db + "-shm"] { #expect(try permissions(file) == 0o600, "\(file)") }
        journal.close()
    }

    @Test("reading never migrates: a journal at an older schema is refused by inspection with what to do, and left as it is")
    func readingNeverMigrates() async throws {
        let (_, path) = try fixtureCopy()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        for command in [["list"], ["sql", "SELECT 1"], ["db", "status"]] {
            let result = try await cairn(command + ["--db", path])
            #expect(result.status == 1 && result.stderr.contains("cairn db migrate"), "\(command): \(result.stderr)")
            // It names what the file lacks (the newest migration it has would not say).
            #expect(result.stderr.contains("it lacks") && result.stderr.contains("0007_long_lived_runs"), "\(command): \(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try await cairn(["db", "migrate", "--db", path]).status == 0)
        #expect(try await cairn(["list", "--db", path]).status == 0)
    }

    @Test("a journal on a read-only mount is read by every inspection command; a writing one says it is read-only",
          .enabled(if: ReadOnlyMount.available, "mounting a tmpfs needs privileges this machine lacks"))
    func readOnlyMount() async throws {
        let mount = try ReadOnlyMount()
        defer { mount.remove() }
        let db = mount.path("j.sqlite")
        let made = try await cairn(["run", "hello", "--db", db, "--json"])
        let id = try #require(jsonObject(made.lines.last ?? "")["runId"] as? String)
        try mount.makeReadOnly()
        for command in [["list"], ["show", id], ["sql", "SELECT COUNT(*) FROM runs"], ["db", "status"], ["db", "check"], ["draw", "--run", id]] {
            let result = try await cairn(command + ["--db", db])
            #expect(result.status == 0, "\(command): \(result.stderr)")
        }
        let refused = try await cairn(["run", "hello", "--db", db])
        #expect(refused.status == 1 && refused.stderr.contains("read-only"), "\(refused.stderr)")
    }
}

func permissions(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? 0) & 0o777
}

/// A small tmpfs mounted for one test, that can be remounted read-only.
struct ReadOnlyMount {
    let directory: TemporaryDirectory

    /// Whether this process may mount (root in a container that allows it).
    static let available: Bool = {
        guard let mount = try? ReadOnlyMount() else { return false }
        mount.remove()
        return true
    }()

    init(size: String = "8m") throws {
        directory = try TemporaryDirectory()
        guard Self.mount(["-t", "tmpfs", "-o", "size=\(size)", "none", directory.url.path]) else {
            throw CairnError(.journalUnavailable, "cannot mount a tmpfs")
        }
    }

    func path(_ name: String) -> String { directory.path(name) }

    func makeReadOnly() throws {
        try #require(Self.mount(["-o", "remount,ro", directory.url.path]), "remounting read-only failed")
    }

    func resize(_ size: String) throws {
        try #require(Self.mount(["-o", "remount,size=\(size)", directory.url.path]), "resizing the tmpfs failed")
    }

    func remove() {
        _ = Self.run("/bin/umount", [directory.url.path])
    }

    private static func mount(_ arguments: [String]) -> Bool { run("/bin/mount", arguments) }

    private static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
