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
    /// Wakes waiters when any process makes a run runnable (LISTEN/NOTIFY).
    let changes = ChangeNotifications()
    /// Appends waiting for the next group transaction.
    let commits = PostgresGroupCommit()
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
            // A refusal inside the migration's transaction comes back wrapped in the transaction's error.
            if let refusal = ((error as? PostgresTransactionError)?.closureError ?? error) as? CairnError { throw refusal }
            throw CairnError(.journalUnavailable, "cannot open the journal \(location): \(Self.reason(error, location))")
        }
        let connection = try location.connectionConfiguration
        journal.changes.start({ try await PostgresConnection.connect(configuration: connection, id: 1, logger: logger) }, logger: logger)
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
        if let error = error as? PostgresTransactionError, let cause = error.closureError ?? error.beginError ?? error.commitError {
            return reason(cause, location)
        }
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let message = error.serverInfo?[.message] { return message }
        if error.code == .authMechanismRequiresPassword {
            return "the server asks for a password: give it in the URL, in PGPASSWORD, or in the file CAIRN_DB_PASSWORD_FILE names"
        }
        guard let underlying = error.underlying else { return error.code.description }
        let text = String(describing: underlying)
        if text.contains("Connection refused") { return "nothing accepts connections on \(location.host):\(location.port); is the server running?" }
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
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
            } catch {
                let cause = (error as? PostgresTransactionError)?.closureError ?? error
                if attempt < Self.transactionAttempts, Self.isTransient(cause) {
                    attempt += 1
                    logger.debug("transaction aborted by the server (\(Self.reason(cause, location))); running it again (attempt \(attempt))")
                    continue
                }
                throw Self.described(cause, location)
            }
        }
    }

    /// How many times a transaction runs that the server keeps aborting as a deadlock's victim.
    static let transactionAttempts = 5

    /// A deadlock's victim (40P01) or a serialization failure (40001): rolled back whole, safe to run again.
    static func isTransient(_ error: any Error) -> Bool {
        guard let state = (error as? PSQLError)?.serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"
    }

    /// Runs `body` in one read-only snapshot, so that reads of several tables see the same commits.
    func snapshot<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await transaction { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            return try await body(connection)
        }
    }

    /// Runs `body` on a pooled connection, outside a transaction (one statement at a time).
    func reading<T: Sendable>(_ body: (PostgresConnection, Logger) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in try await body(connection, logger) }
        } catch {
            throw Self.described(error, location)
        }
    }

    /// A Cairn error as itself; any other as `journal-unavailable` with what went wrong.
    static func described(_ error: any Error, _ location: PostgresLocation) -> any Error {
        if error is CairnError || error is CommitEffectError || error is GroupRollback { return error }
        return CairnError(.journalUnavailable, "the journal \(location) could not be used: \(reason(error, location))")
    }
}
