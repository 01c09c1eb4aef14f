import ArgumentParser
public import Cairn
import CairnPostgres
public import CairnSQLite
import Foundation
import Logging
import Synchronization

/// The journal a command writes through: every capability the CLI uses, and no storage type.
typealias CommandJournal = ClaimingJournal & InboxJournal & PruningJournal

/// What a command needs: its merged options, the journal, an engine and an output.
public struct CommandEnvironment {
    let options: GlobalOptions
    /// Where the command prints.
    public let output: Output
    private let leaseTTL: Duration
    private let interruptGrace: Duration
    private let payloadLimit: PayloadLimit
    private let snapshotEvery: Int
    /// The journals opened for writing, closed (checkpointed) when the command ends.
    private let opened = OpenedJournals()
    /// The PostgreSQL journal `--db` names, when it is a `postgres://` URL rather than a file.
    let postgres: PostgresLocation?

    init(_ local: GlobalOptions, root: GlobalOptions) throws {
        options = local.merged(over: root)
        try options.checkDatabasePath()
        postgres = PostgresLocation.isURL(options.databasePath) ? try PostgresLocation(options.databasePath) : nil
        output = Output(json: options.json, colour: !options.json && !options.noColor && Output.stdoutIsATerminalThatTakesColour)
        // Bad values in the environment are refused by every command, not only by the ones that use them.
        leaseTTL = try options.leaseDuration
        interruptGrace = try options.interruptGraceDuration
        payloadLimit = try options.payloadLimit
        snapshotEvery = try options.snapshotInterval
        guard let level = Logger.Level(rawValue: options.level) else {
            throw ValidationError("Unknown log level '\(options.level)': use trace, debug, info, notice, warning, error or critical.")
        }
        guard ["text", "json"].contains(options.format) else {
            throw ValidationError("Unknown log format '\(options.format)': use text or json.")
        }
        let json = options.format == "json"
        LoggingSystem.bootstrap { label in
            guard !json else { return JSONLogHandler(label: label, logLevel: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// Whether the journal is a PostgreSQL database rather than a file.
    var isPostgres: Bool { postgres != nil }

    /// The journal's path, for messages (a URL with its password redacted).
    public var journalPath: String { postgres?.description ?? options.databasePath }

    /// Opens the journal, creating (migrating) it when needed: the file, or the PostgreSQL database.
    func journal() async throws -> any CommandJournal {
        guard let postgres else { return try fileJournal() }
        return try await postgresJournal(postgres)
    }

    private func postgresJournal(_ location: PostgresLocation) async throws -> PostgresJournal {
        let journal = try await PostgresJournal.open(location, domains: CairnCLI.journalExtensions.flatMap(\.postgresMigrations), leaseTTL: leaseTTL)
        opened.add(journal)
        return journal
    }

    /// The journal file opened for writing.
    private func fileJournal() throws -> SQLiteJournal {
        let journal = try SQLiteJournal(path: options.databasePath, leaseTTL: leaseTTL, extensions: CairnCLI.journalExtensions)
        opened.add(journal)
        return journal
    }

    /// Gives up the leases of the journals opened for writing at once (for a process exiting mid-run).
    var releaseLeasesNow: @Sendable () -> Void {
        let opened = self.opened
        return { opened.releaseLeasesNow() }
    }

    /// Closes the journals the command opened for writing, leaving each file complete without its WAL.
    func closeJournals() async {
        await opened.closeAll()
    }

    /// Opens a journal that must exist already (for commands that only read or change existing runs).
    func existingJournal() async throws -> any CommandJournal {
        if postgres == nil, !FileManager.default.fileExists(atPath: options.databasePath) {
            throw CairnError(.fileNotFound, "no journal at \(options.databasePath); pass --db, or start a run first")
        }
        return try await journal()
    }

    /// Opens the journal to list and read runs: the file read-only, or the PostgreSQL database.
    func inspectableJournal() async throws -> any InspectableJournal {
        guard postgres != nil else { return try readOnlyJournal() }
        return try await journal()
    }

    /// Opens the journal to answer a user's SQL over its views (`cairn sql`): the file read-only, or the PostgreSQL database.
    public func queryableJournal() async throws -> any QueryableJournal {
        guard let postgres else { return try readOnlyJournal() }
        return try await postgresJournal(postgres)
    }

    /// Opens the journal file for reading only, for what reads the SQLite file itself (a plug-in's command may;
    /// ``queryableJournal()`` answers SQL on both backends). A PostgreSQL journal is refused in one sentence.
    public func readOnlyJournal() throws -> ReadOnlyJournal {
        if postgres != nil {
            let command = CommandLine.arguments.dropFirst().first { !$0.hasPrefix("-") } ?? "this command"
            throw ValidationError("`cairn \(command)` reads an SQLite journal file, and --db names a PostgreSQL database; run it with --db PATH "
                + "(every built-in command works on PostgreSQL)")
        }
        return try ReadOnlyJournal(path: options.databasePath, extensions: CairnCLI.journalExtensions)
    }

    /// - Parameter drivingStartedRuns: whether it drives the runs its runs' commits start (`false` for a worker,
    ///   which claims them like any other run).
    func engine(_ journal: any Journal, logger: Logger = Logger(label: "cairn"), drivingStartedRuns: Bool = true) -> Engine {
        var configuration = EngineConfiguration(interruptGrace: interruptGrace, payloadLimit: payloadLimit, snapshotEvery: snapshotEvery)
        configuration.drivesStartedRuns = drivingStartedRuns
        return Engine(journal: journal, configuration: configuration, logger: logger, workflows: CairnCLI.workflows)
    }

    /// The registered workflow called `name`.
    func workflow(named name: String) throws -> WorkflowRegistration {
        let known = CairnCLI.workflows
        guard let registration = known.first(where: { $0.name == name }) else {
            throw CairnError(.unknownWorkflow, "unknown workflow '\(name)'; the workflows are \(known.map(\.name).sorted().joined(separator: ", "))")
        }
        return registration
    }

    /// The summary of a run that must exist.
    /// - Throws: ``CairnError`` `run-not-found` (exit 66) when the journal has no such run.
    public func summary(of run: RunID, in journal: some InspectableJournal) async throws -> RunSummary {
        guard let summary = try await journal.summary(of: run) else { throw CairnError(.runNotFound, "no run \(run) in \(journalPath)") }
        return summary
    }

    /// Parses a run id argument.
    public func runID(_ text: String) throws -> RunID {
        guard let id = RunID(text) else { throw ValidationError("'\(text)' is not a run id: expected a UUID such as 6f1c…-….") }
        return id
    }
}

/// The journals a command opened for writing.
private final class OpenedJournals: Sendable {
    private let files = Mutex<[SQLiteJournal]>([])
    private let databases = Mutex<[PostgresJournal]>([])

    func add(_ journal: SQLiteJournal) {
        files.withLock { $0.append(journal) }
    }

    func add(_ journal: PostgresJournal) {
        databases.withLock { $0.append(journal) }
    }

    func releaseLeasesNow() {
        for journal in files.withLock({ $0 }) { journal.releaseLeasesNow() }
    }

    func closeAll() async {
        for journal in files.withLock({ $0 }) { journal.close() }
        for journal in databases.withLock({ $0 }) { await journal.close() }
    }
}

/// Writes command output to stdout, a line at a time and unbuffered, so progress streams through pipes.
public struct Output: Sendable {
    /// Whether the command prints JSON (`--json`).
    public let json: Bool
    /// Whether status words are coloured: stdout is a terminal, `NO_COLOR` is unset, and no `--no-color`.
    let colour: Bool

    init(json: Bool, colour: Bool = false) {
        self.json = json
        self.colour = colour
    }

    static var stdoutIsATerminalThatTakesColour: Bool {
        isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) ?? true
            && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    /// Prints a table, its status column (`statusColumn`) coloured when ``colour`` is on.
    func table(_ table: Table, statusColumn: Int? = nil) {
        guard colour, let statusColumn else { return table.lines.forEach(line) }
        for text in table.lines(widths: table.widths, paint: [statusColumn: StatusColour.paint]) { exact(text) }
    }

    /// Prints human-readable text, control characters from workflow data escaped (``TerminalText``).
    public func line(_ text: String) {
        write(TerminalText.safe(text, keepingNewlines: true))
    }

    /// One JSON document on one line, in the read model's spelling (``CairnJSON``), exactly.
    public func json(_ value: some Encodable) {
        guard let text = try? CairnJSON.text(value) else { return }
        write(text)
    }

    /// Prints a line exactly as given (CSV and JSON, whose quoting is their own).
    func exact(_ text: String) {
        write(text)
    }

    /// Prints text exactly, with no newline added (a document written in pieces). When the reader went away
    /// (`cairn show … | head`), the process ends as a pipe writer does, by SIGPIPE — also when a library it uses
    /// (NIO, for PostgreSQL) ignores that signal, which would otherwise turn the failed write into a crash.
    func piece(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Foundation.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written > 0 {
                bytes = bytes.dropFirst(written)
            } else if written < 0, errno == EINTR {
                continue
            } else {
                if errno == EPIPE {
                    signal(SIGPIPE, SIG_DFL)
                    raise(SIGPIPE)
                }
                return
            }
        }
    }

    private func write(_ text: String) {
        piece(text + "\n")
    }
}
