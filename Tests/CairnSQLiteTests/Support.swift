import Cairn
import CairnSQLite
import Foundation
import GRDB
import Testing

/// A fresh directory for one test's journal files, inside the test process's own directory (``TestFiles``).
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = TestFiles.root.appendingPathComponent(String(UUID().uuidString.prefix(8)))
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// One directory per test process, `cairn-tests-PID` in the system's temporary directory, removed as the process
/// exits — and, for a process that could not (killed, or crashed), by the next one that starts: a test's directory
/// cannot go when the test ends, since processes it spawned may still use it. Every run of the suite left its
/// journals behind before, 60 GB of them on this machine.
enum TestFiles {
    private static let prefix = "cairn-tests-"

    static let root: URL = {
        let temporary = FileManager.default.temporaryDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? [] where name.hasPrefix(prefix) {
            if let pid = pid_t(name.dropFirst(prefix.count)), kill(pid, 0) == 0 || errno == EPERM { continue }  // its process lives
            try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
        }
        atexit { try? FileManager.default.removeItem(at: TestFiles.root) }
        return temporary.appendingPathComponent("\(prefix)\(getpid())")
    }()
}

/// The repository's root, found from this file.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The `cairn` binary built next to the test bundle.
let cairnBinary = builtBinary("cairn")

/// `cairn` over the test fixtures' workflows (`Tests/CairnFixtures`), built next to the test bundle.
let fixturesBinary = builtBinary("CairnFixtures")

private func builtBinary(_ name: String) -> URL {
    let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [bundleDirectory, bundleDirectory.deletingLastPathComponent(), repositoryRoot.appendingPathComponent(".build/debug")] {
        let url = candidate.appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    return repositoryRoot.appendingPathComponent(".build/debug/\(name)")
}

/// What a finished `cairn` process printed and how it ended.
struct ProcessResult {
    let status: Int32
    let killedBySignal: Bool
    let stdout: String
    let stderr: String

    var lines: [String] { stdout.split(separator: "\n").map(String.init) }

    /// The run id of `run --json`'s last line, the outcome.
    func runID(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(lines.last.flatMap { jsonObject($0)["runId"] as? String }, "no outcome in: \(stdout)\(stderr)", sourceLocation: sourceLocation)
    }
}

/// Runs `cairn` with `arguments` and extra environment, waiting for it to end.
func cairn(_ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil, binary: URL = cairnBinary) async throws
    -> ProcessResult {
    let process = try spawnCairn(arguments, environment: environment, stdin: stdin, binary: binary)
    return await process.finish()
}

/// A running `cairn` process.
final class CairnProcess: Sendable {
    let process: Process
    let stdout: Pipe
    let stderr: Pipe

    init(process: Process, stdout: Pipe, stderr: Pipe) {
        self.process = process
        self.stdout = stdout
        self.stderr = stderr
    }

    var pid: Int32 { process.processIdentifier }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the process to end, reading its output meanwhile.
    func finish() async -> ProcessResult {
        async let out = onOwnThread { self.stdout.fileHandleForReading.readDataToEndOfFile() }
        async let err = onOwnThread { self.stderr.fileHandleForReading.readDataToEndOfFile() }
        let (stdoutData, stderrData) = await (out, err)
        await onOwnThread { self.process.waitUntilExit() }
        return ProcessResult(
            status: process.terminationStatus, killedBySignal: process.terminationReason == .uncaughtSignal,
            stdout: String(decoding: stdoutData, as: UTF8.self), stderr: String(decoding: stderrData, as: UTF8.self))
    }

    /// Reads standard error until it contains `text` (what was read is not seen by ``finish()``); false when
    /// the process ended first.
    func stderrShows(_ text: String) async -> Bool {
        await stderrUntil(text) != nil
    }

    /// Standard error read until it contains `text` (what was read is not seen by ``finish()``); `nil` when the
    /// process ended first.
    func stderrUntil(_ text: String) async -> String? {
        await onOwnThread {
            var seen = Data()
            while !String(decoding: seen, as: UTF8.self).contains(text) {
                let chunk = self.stderr.fileHandleForReading.availableData
                if chunk.isEmpty { return nil }
                seen += chunk
            }
            return String(decoding: seen, as: UTF8.self)
        }
    }
}

/// Runs a blocking call on a thread of its own: blocking one of the cooperative pool's few threads (two on
/// this machine) would stall every other test of the suite for as long as the call blocks.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

/// With `stdin`, the process reads it through a pipe (closed after it); else it reads nothing.
func spawnCairn(_ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil, binary: URL = cairnBinary) throws
    -> CairnProcess {
    var env = ProcessInfo.processInfo.environment
    env["CAIRN_CRASH_AT"] = nil
    env["CAIRN_DB"] = nil
    for (key, value) in environment { env[key] = value }
    return try spawn(binary, arguments, environment: env, stdin: stdin)
}

/// Starts `executable` with exactly `environment` (this process's when `nil`), in `directory`; with `stdin`, it
/// reads that through a pipe (closed after it), else nothing. ``CairnProcess/finish()`` waits for it without
/// blocking the cooperative pool.
func spawn(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil, stdin: Data? = nil) throws
    -> CairnProcess {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.environment = environment
    if let directory { process.currentDirectoryURL = directory }
    let stdout = Pipe(), stderr = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    let input = Pipe()
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try process.run()
    if let stdin {
        try input.fileHandleForWriting.write(contentsOf: stdin)
        try input.fileHandleForWriting.close()
    }
    return CairnProcess(process: process, stdout: stdout, stderr: stderr)
}

/// Runs `tool` (a path) to its end, its output read meanwhile.
func runToEnd(_ tool: String, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil) async throws -> ProcessResult {
    try await spawn(URL(fileURLWithPath: tool), arguments, environment: environment, directory: directory).finish()
}

/// A plain connection to a journal file, waiting politely for other connections' locks.
func database(_ path: String, readonly: Bool = false) throws -> DatabaseQueue {
    var configuration = Configuration()
    configuration.readonly = readonly
    configuration.busyMode = .timeout(10)
    return try DatabaseQueue(path: path, configuration: configuration)
}

/// Reads a journal file directly, as `cairn sql` users would.
func withJournalDatabase<T>(_ path: String, _ body: (Database) throws -> T) throws -> T {
    try database(path, readonly: true).read(body)
}

/// Checks the journal invariants of one finished run; returns its ledger decisions in round order.
@discardableResult
func checkJournal(_ path: String, run: String, cycles: Int) throws -> [String] {
    try withJournalDatabase(path) { db in
        #expect(try String.fetchOne(db, sql: "SELECT status FROM run WHERE run_id = ?", arguments: [run]) == "completed")
        // Event seqs: gapless from 1, no duplicates.
        let seqs = try Int.fetchAll(db, sql: "SELECT seq FROM event WHERE run_id = ? ORDER BY seq", arguments: [run])
        #expect(seqs == Array(1...max(1, seqs.count)))
        // A committed execution never ran again: no attempt started after its completion.
        let rerun = try Int.fetchOne(db, sql: """
            SELECT COUNT(*) FROM journal AS done JOIN journal AS later
              ON later.run_id = done.run_id AND later.execution_id = done.execution_id
            WHERE done.run_id = ? AND done.kind = 'execution_finished' AND done.outcome = 'completed'
              AND later.kind = 'execution_started' AND later.position > done.position
            """, arguments: [run])
        #expect(rerun == 0)
        let completions = try Int.fetchAll(db, sql: """
            SELECT COUNT(*) FROM journal WHERE run_id = ? AND kind = 'execution_finished' AND outcome = 'completed'
            GROUP BY execution_id HAVING COUNT(*) > 1
            """, arguments: [run])
        #expect(completions.isEmpty)
        // One ledger row per cycle, none duplicated; stock is the ledger's sum.
        let rounds = try Int.fetchAll(db, sql: "SELECT round FROM ledger_entry WHERE run_id = ? ORDER BY round", arguments: [run])
        #expect(rounds == Array(1...cycles))
        let mismatched = try Int.fetchOne(db, sql: """
            SELECT COUNT(*) FROM stock WHERE quantity != (SELECT COALESCE(SUM(quantity), 0) FROM ledger_entry WHERE ledger_entry.sku = stock.sku)
            """)
        #expect(mismatched == 0)
        // Every ledger row points at the execution that committed it and the event that triggered it.
        let orphans = try Int.fetchOne(db, sql: """
            SELECT COUNT(*) FROM ledger_entry AS l WHERE l.run_id = ? AND (NOT EXISTS (
              SELECT 1 FROM journal AS j WHERE j.run_id = l.run_id AND j.execution_id = l.execution_id
                AND j.kind = 'execution_finished' AND j.outcome = 'completed')
              OR NOT EXISTS (SELECT 1 FROM event AS e WHERE e.run_id = l.run_id AND e.seq = l.decision_seq AND e.name = l.decision_event))
            """, arguments: [run])
        #expect(orphans == 0)
        return try String.fetchAll(db, sql: "SELECT decision FROM ledger_entry WHERE run_id = ? ORDER BY round", arguments: [run])
    }
}

/// Polls `condition` (a journal position, a row) every 20 ms until it holds; fails after `limit`.
func waitUntil(_ what: String, limit: Duration = .seconds(20), _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if (try? condition()) == true { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting until \(what)")
    throw CancellationError()
}

/// How many journal records the run has (0 while it does not exist).
func journalLength(_ path: String, run: String) -> Int {
    guard FileManager.default.fileExists(atPath: path) else { return 0 }
    return (try? withJournalDatabase(path) { db in
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM journal WHERE run_id = ?", arguments: [run]) ?? 0
    }) ?? 0
}

/// `cairn send RUN fixtures.approval --payload PAYLOAD` through the fixtures' binary (the `approvals` workflow).
func sendApproval(_ run: String, _ payload: String, key: String? = nil, db path: String, environment: [String: String] = [:])
    async throws -> ProcessResult {
    try await cairn(["send", run, "fixtures.approval", "--payload", payload, "--db", path] + (key.map { ["--key", $0] } ?? []),
                    environment: environment, binary: fixturesBinary)
}

/// Parses one line of `--json` output.
func jsonObject(_ line: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
}

/// A `cairn run` started in the background on a fresh journal.
struct BackgroundRun {
    let directory: TemporaryDirectory
    let db: String
    let id: String
    let process: CairnProcess

    /// Starts `workflow` and returns once the run has journaled `records` records (a step is in flight).
    static func start(_ workflow: String, input: String, leaseTTL: Int? = nil, environment: [String: String] = [:], journaled records: Int)
        async throws -> BackgroundRun {
        let run = try spawn(workflow, input: input, leaseTTL: leaseTTL, environment: environment)
        try await waitUntil("the run has journaled \(records) records") { journalLength(run.db, run: run.id) >= records }
        return run
    }

    /// Starts `workflow` and returns once it has stopped itself at `point` (`CAIRN_PAUSE_AT`, SIGSTOP): a signal
    /// sent now is handled at that place however loaded the machine is; `SIGCONT` lets it go on.
    static func paused(_ workflow: String, input: String, at point: String, leaseTTL: Int? = nil) async throws -> BackgroundRun {
        let run = try spawn(workflow, input: input, leaseTTL: leaseTTL, environment: ["CAIRN_PAUSE_AT": point])
        try await waitUntil("the run stopped at \(point)") { isStopped(run.process.pid) || !run.process.process.isRunning }
        return run
    }

    /// `cairn run` of `workflow` on a fresh journal, with a new id.
    private static func spawn(_ workflow: String, input: String, leaseTTL: Int?, environment: [String: String] = [:]) throws -> BackgroundRun {
        let directory = try TemporaryDirectory()
        let db = directory.path("j.sqlite")
        let id = RunID().description
        let ttl = leaseTTL.map { ["--lease-ttl", "\($0)"] } ?? []
        let process = try spawnCairn(["run", workflow, "--db", db, "--id", id, "--input", input] + ttl, environment: environment)
        return BackgroundRun(directory: directory, db: db, id: id, process: process)
    }
}

/// A copy of `Tests/Fixtures/wave1-journal.sqlite` (see ``SchemaTests``) in a fresh directory.
func fixtureCopy() throws -> (TemporaryDirectory, String) {
    let directory = try TemporaryDirectory()
    let path = directory.path("wave1.sqlite")
    try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Tests/Fixtures/wave1-journal.sqlite"),
                                     to: URL(fileURLWithPath: path))
    return (directory, path)
}

extension BackgroundRun {
    /// Runs `workflow` on a fresh journal until it kills itself with SIGKILL at crash point `at` (such as
    /// `after-commit:6`): mid-run however loaded the machine is, unlike a signal sent on a timer.
    static func crashed(_ workflow: String, input: String, at point: String, leaseTTL: Int? = nil, environment: [String: String] = [:]) async throws
        -> BackgroundRun {
        let run = try spawn(workflow, input: input, leaseTTL: leaseTTL, environment: environment.merging(["CAIRN_CRASH_AT": point]) { $1 })
        let result = await run.process.finish()
        try #require(result.killedBySignal, "the run reached \(point): \(result.stderr)")
        return run
    }
}

/// Whether the kernel has stopped process `pid` (state `T` in `/proc/PID/stat`).
func isStopped(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let state = stat.split(separator: ")").last?.split(separator: " ").first else { return false }
    return state == "T" || state == "t"
}
