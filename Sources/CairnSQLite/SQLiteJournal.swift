public import Cairn
import Foundation
import GRDB
import Synchronization

/// The journal in one SQLite file: WAL, `synchronous=FULL`, group commit on one writer thread,
/// leases with fencing so several processes can share the file.
///
/// ## Usage
/// ```swift
/// let journal = try SQLiteJournal(path: "cairn.sqlite")
/// let engine = Engine(journal: journal)
/// ```
public final class SQLiteJournal: LeasingJournal, InspectableJournal, CancelRequestingJournal, PipeliningJournal {
    /// The file's path.
    public let path: String
    /// This process's identity as a lease owner: host, pid, boot and start time, and a random suffix
    /// (``LeaseOwner``).
    public let owner: String
    /// How long a lease lasts without renewal.
    public let leaseTTL: Duration
    /// The domains plugged into this journal: their tables are migrated with the journal's.
    public let extensions: [JournalExtension]
    let pool: DatabasePool
    let committer: GroupCommitter
    /// Tells who listens that the journal changed (any process's commit).
    let changes: JournalChangeTicker
    /// Notices events other processes send to the runs this process drives.
    let inboxWatcher: InboxWatcher
    /// The lease epoch this journal holds per run; every commit for the run checks it.
    private let held = Mutex<[RunID: Int]>([:])
    /// Renews the leases of the runs this process drives, together.
    private let keeper = Mutex<LeaseKeeper?>(nil)

    /// How long a writer waits for another process's lock before the journal is "busy".
    static let busyTimeoutMilliseconds = 30_000

    /// Opens (creating and migrating when needed) the journal at `path`. A new journal is created readable
    /// and writable by its owner only.
    /// - Throws: ``CairnError`` `journal-too-new` for a journal from a newer Cairn, `journal-unavailable`
    ///   when the file cannot be opened or written, or is not a journal (it is then left as it was).
    public init(path: String, leaseTTL: Duration = .seconds(15), owner: String? = nil, extensions: [JournalExtension] = []) throws {
        self.path = path
        self.leaseTTL = leaseTTL
        self.extensions = extensions
        self.owner = owner ?? LeaseOwner.current().description
        var configuration = Configuration()
        configuration.busyMode = .timeout(Double(Self.busyTimeoutMilliseconds) / 1000)
        configuration.foreignKeysEnabled = true
        do {
            // Look before opening for writing: opening switches the file to WAL, which must not happen to a
            // database that is not a journal, nor to a file that cannot be written.
            switch try JournalFile.contents(path, checkingIntegrity: true) {
            case .none: try JournalFile.createPrivately(path)
            case .journal: break
            }
            guard JournalFile.isWritable(path) else {
                throw CairnError(.journalUnavailable, "the journal \(path) is read-only; inspect it, or open a writable copy with --db")
            }
            pool = try DatabasePool(path: path, configuration: configuration)
            // DatabasePool sets its writer to synchronous=NORMAL after prepareDatabase: set FULL afterwards.
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY") }
            try JournalMigrator.migrate(pool, path: path, extensions: extensions)
            try JournalWriterMark.add(self.owner, in: pool)
        } catch let error as CairnError {
            throw error
        } catch {
            throw CairnError(.journalUnavailable, "cannot open journal \(path): \(Self.describe(error))")
        }
        committer = GroupCommitter(pool: pool, files: JournalFileWatch(path: path))
        changes = JournalChangeTicker(path: path)
        inboxWatcher = InboxWatcher(path: path, changes: changes)
    }

    /// Lets pending commits finish, copies the write-ahead log into the journal file and closes it, so that
    /// the file alone holds every run (a copy of it is complete). Later calls do nothing.
    public func close() {
        guard committer.stop() else { return }
        try? JournalWriterMark.remove(owner, in: pool)
        // A passive checkpoint never waits for other processes' readers; what it copies is in the file.
        try? pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)") }
        try? pool.close()
        // The pool closes its writer before its (read-only) readers, so none of them is a last connection
        // that may delete the WAL; one more plain connection is, when no other process has the journal open.
        if committer.filesIntact { try? DatabaseQueue(path: path).close() }
    }

    deinit { committer.stop() }

    /// The writer connection's `synchronous` setting (2 is FULL).
    public var writerSynchronousMode: Int {
        get throws { try pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") ?? -1 } }
    }

    public var leaseRenewalInterval: Duration { leaseTTL / 3 }

    /// Group transactions this process has committed to the journal (one fsync each): with pipelining and
    /// group commit, fewer than the commits it journaled.
    public var transactionsCommitted: Int { committer.transactionsCommitted }

    // MARK: Journal

    public func append(_ records: [JournalRecord], for run: RunID) async throws {
        try await appendPipelined(records, for: run, after: nil).durable()
    }

    public func appendPipelined(_ records: [JournalRecord], for run: RunID, after previous: PendingAppend?) -> PendingAppend {
        let pending = PendingAppend()
        let epoch = held.withLock { $0[run] }
        let owner = owner, ttl = leaseTTL.seconds, path = path
        committer.submit({ db, scratch in
            let key = run.description
            var known = scratch.runs[key] ?? TransactionScratch.Run()
            if case .runStarted = records.first {
                known.nextPosition = try Self.start(records, of: run, db, owner: owner, ttl: ttl)
                known.fencedEpoch = 1
            } else {
                if records.contains(where: { if case .runStarted = $0 { true } else { false } }) {
                    throw CairnError(.runExists, "run \(run) exists already: resume it, or start with another id")
                }
                // The run's existence and lease are checked once per transaction: within it, nothing else writes.
                if known.fencedEpoch == nil || known.fencedEpoch != epoch {
                    guard try Self.exists(run, db) else {
                        throw CairnError(.runNotFound, "no run \(run) in journal \(path): a run's first append begins with its start")
                    }
                    try Self.checkFence(db, run: run, owner: owner, epoch: epoch)
                    known.fencedEpoch = epoch
                }
                known.nextPosition = try JournalWriter(db: db, run: run).write(records, from: known.nextPosition)
            }
            scratch.runs[key] = known
            // A run that continued as new: its successor starts in the same transaction, its lease ours.
            if let successor = Self.successor(in: records) {
                _ = try Self.start([.runStarted(successor)], of: successor.runID, db, owner: owner, ttl: ttl)
            }
        }, after: previous, completing: pending, then: { [self] result in
            guard case .success = result else { return }
            if case .runStarted = records.first { held.withLock { $0[run] = 1 } }
            if let successor = Self.successor(in: records) { held.withLock { $0[successor.runID] = 1 } }
        })
        return pending
    }

    /// Writes a new run's first records, beginning with its start, and its lease (epoch 1, `owner`'s); returns
    /// the position after them.
    /// - Throws: ``CairnError`` `run-exists` when the run exists, or the records start it twice.
    private static func start(_ records: [JournalRecord], of run: RunID, _ db: Database, owner: String, ttl: Double) throws -> Int {
        let starts = records.filter { if case .runStarted = $0 { true } else { false } }.count
        if try exists(run, db) || starts > 1 { throw CairnError(.runExists, "run \(run) exists already: resume it, or start with another id") }
        let next = try JournalWriter(db: db, run: run).write(records, from: 1)
        try db.execute(sql: "INSERT INTO lease (run_id, owner, epoch, expires_at) VALUES (?, ?, 1, \(dbNow) + ?)",
                       arguments: [run.description, owner, ttl])
        return next
    }

    private static func exists(_ run: RunID, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM run WHERE run_id = ?"), arguments: [run.description]) ?? false
    }

    /// The successor started by a `continued` end among `records`.
    static func successor(in records: [JournalRecord]) -> RunStarted? {
        guard case .runFinished(let finished)? = records.last else { return nil }
        return finished.successor
    }

    public func records(for run: RunID) async throws -> [JournalRecord] {
        try await read { db in try JournalReader(db: db, run: run).records() }
    }

    public func streamedEvents(for run: RunID, from position: Int, limit: Int) async throws -> [StreamedEvent] {
        try await read { db in try StreamQuery.page(db, run: run, from: position, limit: limit) }
    }

    public func contains(_ run: RunID) async throws -> Bool {
        try await read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM run WHERE run_id = ?", arguments: [run.description]) ?? false }
    }

    // MARK: Leases

    public func takeOver(_ run: RunID) async throws {
        let owner = owner, ttl = leaseTTL.seconds
        let epoch = try await committer.submitting { db -> Int? in
            let runRow = try Row.fetchOne(db, sql: "SELECT status, json_extract(error, '$.code') AS code FROM run WHERE run_id = ?",
                                          arguments: [run.description])
            guard let runRow else { throw CairnError(.runNotFound, "no run \(run) in journal \(self.path)") }
            // An ended run is not leased; a dead letter is, so that a fixed binary may reopen it.
            let deadLetter = (runRow["code"] as String?) == CairnError.Code.unrebuildable.description
            if try runRow.coded(RunStatus.self, "status", in: "run \(run)").isTerminal, !deadLetter { return nil }
            let row = try Row.fetchOne(db, sql: "SELECT owner, epoch, expires_at, \(Self.dbNow) AS now FROM lease WHERE run_id = ?",
                                       arguments: [run.description])
            // A live lease refuses, unless its owner is provably gone (a process of this host that no longer runs).
            if let row, row["owner"] as String != owner, (row["expires_at"] as Double) > (row["now"] as Double),
               LeaseOwner(row["owner"] as String)?.isProvablyGone != true {
                let expiry = Date(timeIntervalSince1970: row["expires_at"])
                let seconds = Int(((row["expires_at"] as Double) - (row["now"] as Double)).rounded(.up))
                throw CairnError(
                    .runOwned,
                    "run \(run) is owned by \(row["owner"] as String) until \(Timestamp.text(expiry)) (\(seconds) s from now); "
                        + "wait for that process to finish, or for its lease to expire, then resume it")
            }
            let epoch = ((row?["epoch"] as Int?) ?? 0) + 1
            try db.execute(sql: """
                INSERT INTO lease (run_id, owner, epoch, expires_at) VALUES (?, ?, ?, \(Self.dbNow) + ?)
                ON CONFLICT (run_id) DO UPDATE SET owner = excluded.owner, epoch = excluded.epoch, expires_at = excluded.expires_at
                """, arguments: [run.description, owner, epoch, ttl])
            // A run another run's commit started is pending until someone takes it.
            try db.execute(sql: "UPDATE run SET status = 'running' WHERE run_id = ? AND status = 'pending'", arguments: [run.description])
            return epoch
        }
        if let epoch { held.withLock { $0[run] = epoch } }
    }

    public func takeOverIfPending(_ run: RunID) async throws -> Bool {
        let owner = owner, ttl = leaseTTL.seconds
        let taken = try await committer.submitting { db -> Bool in
            try db.execute(sql: "UPDATE run SET status = 'running' WHERE run_id = ? AND status = 'pending'", arguments: [run.description])
            guard db.changesCount == 1 else { return false }
            try db.execute(sql: "INSERT INTO lease (run_id, owner, epoch, expires_at) VALUES (?, ?, 1, \(Self.dbNow) + ?)",
                           arguments: [run.description, owner, ttl])
            return true
        }
        if taken { held.withLock { $0[run] = 1 } }
        return taken
    }

    public func renewLease(of run: RunID) async throws -> Bool {
        guard let epoch = held.withLock({ $0[run] }) else { return false }
        let owner = owner, ttl = leaseTTL.seconds
        return try await committer.submitting { db in
            try db.execute(sql: "UPDATE lease SET expires_at = \(Self.dbNow) + ? WHERE run_id = ? AND owner = ? AND epoch = ?",
                           arguments: [ttl, run.description, owner, epoch])
            if db.changesCount == 0 { throw Self.leaseLost(run) }
            return try Bool.fetchOne(db, sql: "SELECT cancel_requested FROM lease WHERE run_id = ?", arguments: [run.description]) ?? false
        }
    }

    public func keepLease(of run: RunID, events: @escaping @Sendable (LeaseEvent) -> Void) -> LeaseKeeping? {
        let keeper = keeper.withLock { keeper in
            if keeper == nil {
                keeper = LeaseKeeper(interval: leaseRenewalInterval) { [weak self] runs in try await self?.renewLeases(of: runs) ?? .init() }
            }
            return keeper!
        }
        return keeper.keep(run, events: events)
    }

    /// Renews the leases this journal holds of `runs` in one transaction: which it lost, and which another
    /// process asked to cancel.
    private func renewLeases(of runs: [RunID]) async throws -> LeaseKeeper.Renewal {
        let held = held.withLock { held in runs.compactMap { run in held[run].map { (run, $0) } } }
        guard !held.isEmpty else { return .init() }
        let owner = owner, ttl = leaseTTL.seconds
        return try await committer.submitting { db in
            var renewal = LeaseKeeper.Renewal()
            let update = try db.cachedStatement(sql: "UPDATE lease SET expires_at = \(Self.dbNow) + ? WHERE run_id = ? AND owner = ? AND epoch = ?")
            for (run, epoch) in held {
                try update.execute(arguments: [ttl, run.description, owner, epoch])
                if db.changesCount == 0 { renewal.lost.insert(run) }
            }
            let asked = try String.fetchAll(db, sql: "SELECT run_id FROM lease WHERE owner = ? AND cancel_requested = 1", arguments: [owner])
            renewal.cancelRequested = Set(asked.compactMap(RunID.init)).intersection(held.map(\.0))
            return renewal
        }
    }

    public func releaseLease(of run: RunID) async {
        guard let epoch = held.withLock({ $0.removeValue(forKey: run) }) else { return }
        let owner = owner
        try? await committer.submit { db in try Self.expireLease(db, run: run, owner: owner, epoch: epoch) }
    }

    /// Gives up every lease this journal holds, at once and without the committer, for a process about to
    /// exit without finishing its runs (a second Ctrl-C): a resumer need not wait for them to expire.
    public func releaseLeasesNow() {
        let held = self.held.withLock { held in
            defer { held = [:] }
            return held
        }
        guard !held.isEmpty else { return }
        // A connection of its own, waiting two seconds at most for SQLite's lock: the pool's writer may be busy with
        // the run this process abandons, and a process told twice to stop must not stand (the lease expires anyway).
        var configuration = Configuration()
        configuration.busyMode = .timeout(2)
        guard let queue = try? DatabaseQueue(path: path, configuration: configuration) else { return }
        for (run, epoch) in held {
            try? queue.write { db in try Self.expireLease(db, run: run, owner: owner, epoch: epoch) }
        }
    }

    /// Ends this owner's lease of the run now, so that another process may take it over at once.
    private static func expireLease(_ db: Database, run: RunID, owner: String, epoch: Int) throws {
        try db.execute(sql: "UPDATE lease SET expires_at = \(dbNow) - 1 WHERE run_id = ? AND owner = ? AND epoch = ?",
                       arguments: [run.description, owner, epoch])
    }

    /// The database clock, in unix seconds: the `clock` view, the one definition the views use too.
    static let dbNow = "(SELECT now FROM clock)"

    private static func checkFence(_ db: Database, run: RunID, owner: String, epoch: Int?) throws {
        let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT owner, epoch FROM lease WHERE run_id = ?"), arguments: [run.description])
        guard let epoch, let row, row["owner"] as String == owner, row["epoch"] as Int == epoch else { throw leaseLost(run) }
    }

    private static func leaseLost(_ run: RunID) -> CairnError {
        CairnError(.leaseLost, "another process took run \(run) over after this one's lease expired; this process stopped writing to it")
    }

    // MARK: Reading

    /// Runs a read on a reader connection, off the cooperative pool's hot path.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch let error as CairnError {
            throw error
        } catch {
            throw Self.describe(error)
        }
    }

    /// Turns a GRDB error into a sentence: what went wrong with the journal and what to do.
    static func describe(_ error: any Error) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        switch error.resultCode {
        case .SQLITE_FULL:
            return CairnError(.journalUnavailable, "the disk holding the journal is full; free some space, then resume the run")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            // Refused before anything was written: safe to try again (an I/O error at commit is not: whether
            // that commit is durable is unknown, so the run stops and resume reads what is).
            return CairnError(.journalBusy, "the journal is locked by another process; try again when it is done")
        case .SQLITE_READONLY:
            return CairnError(.journalUnavailable, "the journal is read-only; open a writable copy with --db")
        case .SQLITE_NOTADB:
            return CairnError(.journalUnavailable, "the file is not a Cairn journal (not an SQLite database); pass another --db")
        case .SQLITE_IOERR, .SQLITE_CANTOPEN:
            return CairnError(.journalUnavailable, "the journal cannot be read or written (\(error.message ?? "I/O error")); check the file and its disk")
        case .SQLITE_CORRUPT:
            return CairnError(.journalDamaged, "the journal is damaged (\(error.message ?? "malformed")); run cairn db check to see the damage, "
                + "and restore a copy made with cairn db backup")
        case .SQLITE_CONSTRAINT:
            return error  // a commit effect's own violation: its step's error, said by the effect's caller
        default:
            // One line, without the statement GRDB appends: what SQLite said, and where to look.
            return CairnError(.journalUnavailable, "the journal could not be used (SQLite error \(error.resultCode.rawValue): "
                + "\(error.message ?? "unknown")); run cairn db check")
        }
    }
}

extension GroupCommitter {
    /// Runs `body` in the next group transaction and returns its value once durable.
    func submitting<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let box = Mutex<T?>(nil)
        try await submit { db in
            let value = try body(db)
            box.withLock { $0 = value }
        }
        return box.withLock { $0! }
    }
}
