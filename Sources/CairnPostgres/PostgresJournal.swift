public import Cairn
import Foundation
public import Logging
import PostgresNIO
import Synchronization

/// A journal on PostgreSQL, shared by any number of workers on any number of hosts.
///
/// Opening it connects once to check the server and the database — a refused connection, a wrong password or a
/// database of something else is one sentence, the password never in it — and migrates the schema under an
/// advisory lock; then a pool of connections (postgres-nio's `PostgresClient`) serves the journal.
///
/// ## Usage
/// ```swift
/// let journal = try await PostgresJournal.open(PostgresLocation("postgres://cairn@db.internal/cairn"))
/// defer { Task { await journal.close() } }
/// ```
public final class PostgresJournal: Sendable {
    public let location: PostgresLocation
    /// This process's identity as a lease owner: host, process and a random part, unique across the workers' hosts.
    public let owner: String
    /// How long a lease lasts without renewal, by the server's clock.
    public let leaseTTL: Duration
    let client: PostgresClient
    let logger: Logger
    /// The lease epoch this journal holds per run; every append for the run checks it inside its transaction.
    let held = Mutex<[RunID: Int]>([:])
    /// The leases this journal's claims took (run → epoch) that no takeover has used yet: a claim takes the lease at
    /// the next epoch in its own statement, so the takeover of a claimed run is that claim, not one more epoch.
    let claimed = Mutex<[RunID: Int]>([:])
    /// Wakes waiters when any process makes a run runnable (LISTEN/NOTIFY).
    let changes = ChangeNotifications()
    /// Appends waiting for the next group transaction.
    let commits = PostgresGroupCommit()
    /// Gives up on transactions and reads whose connection closed under them (see ``EndedSessionWatch``).
    let watch = EndedSessionWatch()
    private let running: Task<Void, Never>

    private init(location: PostgresLocation, client: PostgresClient, owner: String, leaseTTL: Duration, logger: Logger) {
        self.location = location
        self.client = client
        self.owner = owner
        self.leaseTTL = leaseTTL
        self.logger = logger
        running = Task { await client.run() }
    }

    /// Connects, checks and migrates the journal at `location`.
    /// - Parameters:
    ///   - domains: the migrations of the domains plugged in (their tables, for their ``DatabaseEffect``s).
    ///   - owner: the lease owner's name (default: this host, this process and a random part).
    /// - Throws: `journal-unavailable` when the server cannot be reached or refuses the login, or the database is not
    ///   a journal; `journal-too-new` when a newer Cairn migrated it.
    public static func open(_ location: PostgresLocation, domains: [SchemaMigration] = [], leaseTTL: Duration = .seconds(15), owner: String? = nil,
                            logger: Logger = Logger(label: "cairn.postgres")) async throws -> PostgresJournal {
        let owner = owner ?? "\(ProcessInfo.processInfo.hostName):\(getpid()):\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        // The pool runs before anything leases from it; the check and the migration take a connection of their own.
        let journal = PostgresJournal(location: location, client: PostgresClient(configuration: try location.clientConfiguration(), backgroundLogger: logger),
                                      owner: owner, leaseTTL: leaseTTL, logger: logger)
        do {
            let connection = try await PostgresConnection.connect(configuration: try location.connectionConfiguration, id: 0, logger: logger)
            do {
                try await PostgresMigrator.migrate(connection, location: location, domains: domains, logger: logger)
                try await connection.close()
            } catch {
                try? await connection.close()
                throw error
            }
        } catch {
            await journal.close()
            if let refusal = error as? CairnError { throw refusal }
            throw CairnError(.journalUnavailable, "cannot open the journal \(location): \(Self.reason(error, location))")
        }
        let connection = try location.connectionConfiguration
        journal.changes.start({ try await PostgresConnection.connect(configuration: connection, id: 1, logger: logger) },
                              describe: { Self.reason($0, location) }, logger: logger)
        return journal
    }

    /// Lets queued appends commit, then stops the pool: queries after this fail.
    public func close() async {
        await commitsDone()
        changes.stop()
        running.cancel()
        _ = await running.value
    }

    /// What went wrong, in words and without the password: the server's message, or the connection's failure.
    static func reason(_ error: any Error, _ location: PostgresLocation) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let message = error.serverInfo?[.message] { return message }
        if error.code == .authMechanismRequiresPassword {
            return "the server asks for a password: give it in the URL, in PGPASSWORD, or in the file CAIRN_DB_PASSWORD_FILE names"
        }
        if error.code == .sslUnsupported {
            return "the server does not take TLS connections, which sslmode=\(location.sslMode) asks for; turn ssl on at the server, or drop sslmode"
        }
        guard let underlying = error.underlying else { return error.code.description }
        if underlying is PSQLError { return reason(underlying, location) }
        let text = String(describing: underlying)
        if text.contains("Connection refused") { return "nothing accepts connections on \(location.host):\(location.port); is the server running?" }
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("hostnameMismatch") {
            return "the server's certificate is not trusted for \(location.host): sslmode=verify-full takes one an authority the system trusts "
                + "signed for that host, or the authority sslrootcert names (sslmode=require encrypts without checking it)"
        }
        if underlying is NIOSSLError { return "the TLS handshake failed (\(text))" }
        return PostgresLocation.redacted(text)
    }
}

extension PostgresJournal {
    /// Runs `body` in a transaction on a pooled connection: committed when it returns, rolled back when it throws.
    /// A refusal thrown inside comes out as itself; a failure of the server as `journal-unavailable`, in one sentence.
    ///
    /// A transaction the server aborted to break a deadlock, or as a serialization failure, wrote nothing: it runs
    /// again, up to ``transactionAttempts`` times. (Runs lock in one order — see ``lockRun(_:on:logger:)`` — but two
    /// commits that send to each other's runs still lock two rows in opposite orders.)
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 1
        let logger = logger
        while true {
            do {
                return try await onConnection { connection in try await Self.inTransaction(connection, logger: logger, body) }
            } catch {
                if attempt < Self.transactionAttempts, Self.isTransient(error) {
                    attempt += 1
                    logger.debug("transaction aborted by the server (\(Self.reason(error, location))); running it again (attempt \(attempt))")
                    // A closed connection leaves the pool once its close is handled: give that a moment.
                    if error is SessionEnded { try? await Task.sleep(for: .milliseconds(20 * attempt)) }
                    continue
                }
                throw Self.described(error, location)
            }
        }
    }

    /// `body` between `BEGIN` and `COMMIT` on `connection`; rolled back when it throws — unless the server ended the
    /// session, which rolled the transaction back with it (a `ROLLBACK` there would never be answered: see
    /// ``PostgresConnection/answered(_:logger:)``; postgres-nio's own `withTransaction` sends it, and hung).
    static func inTransaction<T: Sendable>(_ connection: PostgresConnection, logger: Logger, _ body: (PostgresConnection) async throws -> T)
        async throws -> T {
        do {
            try await connection.answered("BEGIN", logger: logger)
        } catch where endsSession(error) {
            throw SessionEnded(beforeUse: true)  // a pooled connection that had closed meanwhile: nothing was written
        }
        let value: T
        do {
            value = try await body(connection)
        } catch {
            if !endsSession(error) { _ = try? await connection.answered("ROLLBACK", logger: logger) }
            throw error
        }
        try await connection.answered("COMMIT", logger: logger)
        return value
    }

    /// How many times a transaction runs that the server keeps aborting as a deadlock's victim.
    static let transactionAttempts = 5

    /// Whether `error` means the connection's session is over — closed, reset, or ended by the server (SQLSTATE 57P…:
    /// an administrator's or the server's shutdown, the database dropped, an idle session timed out; class 08, a
    /// connection exception): nothing more may be sent on it, and it rolled back whatever it had begun. A cancelled
    /// statement (57014, a `statement_timeout`) is not: its transaction is rolled back as any failed one.
    static func endsSession(_ error: any Error) -> Bool {
        if error is SessionEnded { return true }
        guard let error = error as? PSQLError else { return false }
        if [.serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown].contains(error.code) { return true }
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state.hasPrefix("57P") || state.hasPrefix("08")
    }

    /// A deadlock's victim (40P01) or a serialization failure (40001): rolled back whole, safe to run again — as is a
    /// transaction on a pooled connection found closed before anything was sent.
    static func isTransient(_ error: any Error) -> Bool {
        if let ended = error as? SessionEnded { return ended.beforeUse }
        guard let state = (error as? PSQLError)?.serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"
    }

    /// Runs `body` in one read-only snapshot, so that reads of several tables see the same commits.
    func snapshot<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let logger = logger
        return try await transaction { connection in
            try await connection.answered("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            return try await body(connection)
        }
    }

    /// Runs `body` on a pooled connection, outside a transaction (one statement at a time).
    func reading<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T) async throws -> T {
        let logger = logger
        do {
            return try await onConnection { connection in try await body(connection, logger) }
        } catch {
            throw Self.described(error, location)
        }
    }

    /// Runs `body` on a pooled connection, given up when that connection closes under a query it never answers.
    private func onConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let client = client
        return try await watch.run(lease: { work in try await client.withConnection(work) }, body)
    }

    /// A Cairn error as itself; any other as `journal-unavailable` with what went wrong.
    static func described(_ error: any Error, _ location: PostgresLocation) -> any Error {
        if error is CairnError || error is CommitEffectError || error is GroupRollback { return error }
        return CairnError(.journalUnavailable, "the journal \(location) could not be used: \(reason(error, location))")
    }
}
