public import Cairn
import Foundation
import Logging
import PostgresNIO
import Synchronization

extension PostgresJournal: LeasingJournal, InspectableJournal, CancelRequestingJournal, PipeliningJournal {
    // MARK: Journal

    /// Appends `records` and waits until they are committed, fenced: an append to a run is refused (`lease-lost`)
    /// unless this journal holds the run's lease at the epoch it took, checked inside the transaction. Appends of
    /// every run of the process share transactions (``PostgresGroupCommit``).
    public func append(_ records: [JournalRecord], for run: RunID) async throws {
        try await appendPipelined(records, for: run, after: nil).durable()
    }

    /// Takes `records` for the next group transaction and returns at once (``PipeliningJournal``).
    public func appendPipelined(_ records: [JournalRecord], for run: RunID, after previous: PendingAppend?) -> PendingAppend {
        let pending = PendingAppend()
        let epoch = held.withLock { $0[run] }
        let successor = Self.successor(in: records)
        commit(after: previous, completing: pending, alone: Self.writesBeyondItsRun(records), { [self] connection in
            try await write(records, for: run, epoch: epoch, copying: false, on: connection)
        }, then: { [self] result in
            guard case .success = result else { return }
            if case .runStarted = records.first { held.withLock { $0[run] = 1 } }
            if let successor { held.withLock { $0[successor.runID] = 1 } }
        })
        return pending
    }

    /// Whether `records` write rows of other runs or of a domain: effects, messages, starts, a run's end.
    private static func writesBeyondItsRun(_ records: [JournalRecord]) -> Bool {
        records.contains { record in
            switch record {
            case .executionFinished(let finished): !finished.effects.isEmpty || !finished.messages.isEmpty || !finished.starts.isEmpty
            case .runFinished: true
            default: false
            }
        }
    }

    /// Appends records another journal holds already (`cairn db copy`), in a transaction of their own: see
    /// ``PostgresRecordWriter/copying``.
    package func appendCopied(_ records: [JournalRecord], for run: RunID) async throws {
        let epoch = held.withLock { $0[run] }
        try await transaction { [self] connection in try await write(records, for: run, epoch: epoch, copying: true, on: connection) }
        if case .runStarted = records.first { held.withLock { $0[run] = 1 } }
        if let successor = Self.successor(in: records) { held.withLock { $0[successor.runID] = 1 } }
    }

    /// Writes `records` of `run` inside the caller's transaction, after checking the run's lease is this journal's at `epoch`.
    private func write(_ records: [JournalRecord], for run: RunID, epoch: Int?, copying: Bool, on connection: PostgresConnection) async throws {
        let (owner, ttl, logger) = (owner, leaseTTL.seconds, logger)
        let writer = PostgresRecordWriter(connection: connection, run: run, logger: logger, copying: copying)
        if case .runStarted = records.first {
            try await Self.start(records, of: run, on: connection, owner: owner, ttl: ttl, copying: copying, logger: logger)
        } else {
            if records.contains(where: { if case .runStarted = $0 { true } else { false } }) {
                throw CairnError(.runExists, "run \(run) exists already: resume it, or start with another id")
            }
            // The run's row is locked until the commit, before its lease is read: every takeover locks the row first
            // too (see ``lockRun``), so it waits for this append, then bumps the epoch.
            guard try await Self.lockRun(run, on: connection, logger: logger) else {
                throw CairnError(.runNotFound, "no run \(run) in this journal: a run's first append begins with its start")
            }
            guard let lease = try await connection.answered(AppendStatements.Fence(run: run.uuid), logger: logger).first, let epoch,
                  lease.owner == owner, lease.epoch == epoch else {
                throw Self.leaseLost(run)
            }
            try await writer.write(records, from: lease.last + 1)
        }
        // A run that continued as new: its successor starts in the same transaction, its lease ours.
        if let successor = Self.successor(in: records) {
            try await Self.start([.runStarted(successor)], of: successor.runID, on: connection, owner: owner, ttl: ttl, copying: copying,
                                 logger: logger)
        }
    }

    /// Writes a new run's first records and its lease (epoch 1, `owner`'s).
    private static func start(_ records: [JournalRecord], of run: RunID, on connection: PostgresConnection, owner: String, ttl: Double,
                              copying: Bool = false, logger: Logger) async throws {
        let starts = records.filter { if case .runStarted = $0 { true } else { false } }.count
        if try await exists(run, on: connection, logger: logger) || starts > 1 {
            throw CairnError(.runExists, "run \(run) exists already: resume it, or start with another id")
        }
        try await PostgresRecordWriter(connection: connection, run: run, logger: logger, copying: copying).write(records, from: 1)
        try await connection.execute("""
            INSERT INTO lease (run_id, owner, epoch, expires_at) VALUES (\(run.uuid), \(owner), 1, now() + make_interval(secs => \(ttl)))
            """, logger: logger)
    }

    /// Locks the run's row for this transaction; false when there is no such run.
    ///
    /// The one lock order for a run: its row, then its lease row. An append, a takeover, a claim and a send all lock
    /// the row first (`FOR NO KEY UPDATE`, which leaves the foreign-key checks of other tables' inserts free), so none
    /// of them holds the lease while waiting for the row — two such waits crossed are a deadlock, and PostgreSQL
    /// would abort one of them.
    static func lockRun(_ run: RunID, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await !connection.answered(AppendStatements.LockRun(run: run.uuid), logger: logger).isEmpty
    }

    private static func exists(_ run: RunID, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await !connection.rows("SELECT 1 AS found FROM run WHERE run_id = \(run.uuid)", logger: logger).isEmpty
    }

    /// The successor started by a `continued` end among `records`.
    static func successor(in records: [JournalRecord]) -> RunStarted? {
        guard case .runFinished(let finished)? = records.last else { return nil }
        return finished.successor
    }

    public func records(for run: RunID) async throws -> [JournalRecord] {
        let logger = logger
        return try await snapshot { connection in try await PostgresRecordReader(connection: connection, run: run, logger: logger).records() }
    }

    public func streamedEvents(for run: RunID, from position: Int, limit: Int) async throws -> [StreamedEvent] {
        try await reading { connection, logger in
            try await connection.rows("""
                SELECT stream_position, name, payload, step FROM stream_event
                WHERE run_id = \(run.uuid) AND stream_position >= \(position) ORDER BY stream_position LIMIT \(limit)
                """, logger: logger).map { row in
                StreamedEvent(position: try row["stream_position"], name: try row["name"], payload: Data((try row["payload", as: String.self]).utf8),
                              step: try row["step"])
            }
        }
    }

    public func contains(_ run: RunID) async throws -> Bool {
        try await reading { connection, logger in try await Self.exists(run, on: connection, logger: logger) }
    }

    // MARK: Listing

    public func runs(_ query: RunQuery) async throws -> RunPage {
        try await snapshot { [logger] connection in try await PostgresRunListing.page(query, on: connection, logger: logger) }
    }

    public func summary(of run: RunID) async throws -> RunSummary? {
        try await reading { connection, logger in try await PostgresRunListing.summary(of: run, on: connection, logger: logger) }
    }

    /// Asks the process that owns the run to cancel it at its next lease renewal.
    public func requestCancel(of run: RunID) async throws {
        _ = try await reading { connection, logger in
            try await connection.execute("UPDATE lease SET cancel_requested = true WHERE run_id = \(run.uuid)", logger: logger)
        }
    }

    // MARK: Leases

    public var leaseRenewalInterval: Duration { leaseTTL / 3 }

    public func takeOver(_ run: RunID) async throws {
        // Claimed here, and held since at the claim's epoch: the claim's statement took it over.
        if let epoch = claimed.withLock({ $0.removeValue(forKey: run) }), held.withLock({ $0[run] }) == epoch { return }
        let (owner, ttl, logger) = (owner, leaseTTL.seconds, logger)
        let epoch = try await transaction { connection -> Int? in
            guard let row = try await connection.rows(
                "SELECT status, error::jsonb ->> 'code' AS code FROM run WHERE run_id = \(run.uuid) FOR NO KEY UPDATE", logger: logger).first else {
                throw CairnError(.runNotFound, "no run \(run) in this journal")
            }
            // An ended run is not leased; a dead letter is, so that a fixed binary may reopen it.
            let deadLetter = try row["code", as: String?.self] == CairnError.Code.unrebuildable.description
            if RunStatus(rawValue: try row["status"])?.isTerminal == true, !deadLetter { return nil }
            let lease = try await connection.rows("""
                SELECT owner, epoch, expires_at, expires_at > now() AS live, ceil(extract(epoch FROM expires_at - now()))::bigint AS seconds
                FROM lease WHERE run_id = \(run.uuid) FOR UPDATE
                """, logger: logger).first
            if let lease, try lease["owner", as: String.self] != owner, try lease["live", as: Bool.self] {
                throw CairnError(
                    .runOwned,
                    "run \(run) is owned by \(try lease["owner", as: String.self]) until \(try lease["expires_at", as: Date.self]) "
                        + "(\(try lease["seconds", as: Int.self]) s from now); wait for that process to finish, or for its lease to expire, then resume it")
            }
            let epoch = (try lease?["epoch", as: Int.self] ?? 0) + 1
            try await connection.execute("""
                INSERT INTO lease (run_id, owner, epoch, expires_at) VALUES (\(run.uuid), \(owner), \(epoch), now() + make_interval(secs => \(ttl)))
                ON CONFLICT (run_id) DO UPDATE SET owner = excluded.owner, epoch = excluded.epoch, expires_at = excluded.expires_at,
                    cancel_requested = false
                """, logger: logger)
            // A run another run's commit started is pending until someone takes it.
            try await connection.execute("UPDATE run SET status = 'running' WHERE run_id = \(run.uuid) AND status = 'pending'", logger: logger)
            return epoch
        }
        if let epoch { held.withLock { $0[run] = epoch } }
    }

    public func takeOverIfPending(_ run: RunID) async throws -> Bool {
        let (owner, ttl, logger) = (owner, leaseTTL.seconds, logger)
        let taken = try await transaction { connection -> Bool in
            let changed = try await connection.execute(
                "UPDATE run SET status = 'running' WHERE run_id = \(run.uuid) AND status = 'pending' RETURNING 1", logger: logger)
            guard changed == 1 else { return false }
            try await connection.execute("""
                INSERT INTO lease (run_id, owner, epoch, expires_at) VALUES (\(run.uuid), \(owner), 1, now() + make_interval(secs => \(ttl)))
                """, logger: logger)
            return true
        }
        if taken { held.withLock { $0[run] = 1 } }
        return taken
    }

    public func renewLease(of run: RunID) async throws -> Bool {
        guard let epoch = held.withLock({ $0[run] }) else { return false }
        let (owner, ttl) = (owner, leaseTTL.seconds)
        let asked = try await reading { connection, logger in
            try await connection.rows("""
                UPDATE lease SET expires_at = now() + make_interval(secs => \(ttl))
                WHERE run_id = \(run.uuid) AND owner = \(owner) AND epoch = \(epoch) RETURNING cancel_requested
                """, logger: logger).first.map { try $0["cancel_requested", as: Bool.self] }
        }
        guard let asked else { throw Self.leaseLost(run) }
        return asked
    }

    public func releaseLease(of run: RunID) async {
        claimed.withLock { _ = $0.removeValue(forKey: run) }
        guard let epoch = held.withLock({ $0.removeValue(forKey: run) }) else { return }
        let owner = owner
        _ = try? await transaction { [logger] connection in
            try await connection.execute("""
                UPDATE lease SET expires_at = now() - interval '1 second' WHERE run_id = \(run.uuid) AND owner = \(owner) AND epoch = \(epoch)
                """, logger: logger)
            try await connection.notifyRunnable(logger: logger)  // let go: another worker may take it now
        }
    }

    static func leaseLost(_ run: RunID) -> CairnError {
        CairnError(.leaseLost, "another process took run \(run) over after this one's lease expired; this process stopped writing to it")
    }
}
