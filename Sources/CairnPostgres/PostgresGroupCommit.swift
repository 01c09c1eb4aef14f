import Cairn
import Logging
import PostgresNIO
import Synchronization

/// Appends waiting for a group transaction: the appends of every run the process drives are gathered, and one
/// task at a time writes all that arrived into one transaction — one commit, one flush of the server's
/// write-ahead log, for as many appends as came while the last transaction ran. The SQLite journal's
/// ``GroupCommitter`` does the same with a thread; here it is a task, since every query is a round trip.
///
/// An append that writes beyond its own run — a domain's effects (a stock level other workers update too), a
/// message or a start for another run, a run's end (a child's end goes to its parent) — commits alone, in queue
/// order: in a group its locks would be held for the whole group, and two workers' groups taking two such rows in
/// opposite orders would deadlock (measured: four workers' monitors, whose ledger steps update one row per SKU,
/// ran at a tenth of one worker's rate).
final class PostgresGroupCommit: Sendable {
    typealias Body = @Sendable (PostgresConnection) async throws -> Void

    struct Job: Sendable {
        let body: Body
        /// Whether it commits in a transaction of its own (see above).
        let alone: Bool
        /// The append this one comes after: when it failed, this one fails without running.
        let after: PendingAppend?
        let pending: PendingAppend
        let then: @Sendable (Result<Void, any Error>) -> Void
    }

    struct State {
        var jobs: [Job] = []
        /// Whether a task is writing transactions: it takes what arrives meanwhile when it is done.
        var draining = false
        /// Waiting for the queue to empty (``PostgresJournal/close()``).
        var idle: [CheckedContinuation<Void, Never>] = []
        /// Group transactions committed so far.
        var committed = 0
    }

    let state = Mutex(State())

    /// The most appends one transaction takes, so that a burst does not make one long transaction holding many runs' locks.
    static let batchLimit = 256
}

/// A group transaction rolled back because an append in it failed, for `cause`: it runs again, with a savepoint per
/// append.
struct GroupRollback: Error {
    let cause: any Error
}

extension PostgresJournal {
    /// Whether `error` is an append's own failure — a refusal, a constraint — rather than the server's: a deadlock's
    /// victim (the transaction runs again whole) or a session it ended (the group fails as one).
    static func isAppendsOwn(_ error: any Error) -> Bool {
        !isTransient(error) && !endsSession(error)
    }
}

extension PostgresJournal {
    /// Group transactions committed so far (a commit each).
    public var transactionsCommitted: Int { commits.state.withLock { $0.committed } }

    /// Queues `body` for the next group transaction; `pending` gets the outcome once that transaction commits (or
    /// failed), after `then`. When `after` failed, `body` does not run and `pending` fails too.
    func commit(after: PendingAppend?, completing pending: PendingAppend, alone: Bool, _ body: @escaping PostgresGroupCommit.Body,
                then: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        let job = PostgresGroupCommit.Job(body: body, alone: alone, after: after, pending: pending, then: then)
        let starts = commits.state.withLock { state in
            state.jobs.append(job)
            defer { state.draining = true }
            return !state.draining
        }
        if starts { Task { await drainCommits() } }
    }

    /// Returns once every queued append has committed or failed.
    func commitsDone() async {
        await withCheckedContinuation { continuation in
            let idle = commits.state.withLock { state in
                if !state.draining { return true }
                state.idle.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    private func drainCommits() async {
        while true {
            let jobs = commits.state.withLock { state -> [PostgresGroupCommit.Job] in
                // The queue's head, up to the first append that commits alone; that one alone when it is first.
                var taken = Array(state.jobs.prefix(PostgresGroupCommit.batchLimit))
                if let alone = taken.firstIndex(where: \.alone) { taken = Array(taken.prefix(max(1, alone))) }
                state.jobs.removeFirst(taken.count)
                if taken.isEmpty {
                    state.draining = false
                    for waiter in state.idle { waiter.resume() }
                    state.idle = []
                }
                return taken
            }
            guard !jobs.isEmpty else { return }
            await commitGroup(jobs)
        }
    }

    /// Writes `jobs` in one transaction and reports each one's outcome. Most groups fail no append and run without
    /// savepoints (each one a round trip more per append); a group in which an append fails is rolled back and
    /// runs again with a savepoint per append, so that the others commit and it alone fails. What is not an append's
    /// failure but the server's — a deadlock's victim (run again whole), a session it ended — fails the group as one.
    private func commitGroup(_ jobs: [PostgresGroupCommit.Job]) async {
        var results: [Result<Void, any Error>]
        do {
            do {
                results = try await groupTransaction(jobs, savepoints: false)
            } catch is GroupRollback where jobs.count > 1 {
                results = try await groupTransaction(jobs, savepoints: true)
            } catch let rollback as GroupRollback {
                results = [.failure(rollback.cause)]  // one append: its transaction was its own
            }
            CrashPoint.reach("after-commit")
            commits.state.withLock { $0.committed += 1 }
        } catch {
            results = Array(repeating: .failure(error), count: jobs.count)
        }
        for (job, result) in zip(jobs, results) {
            job.then(result)
            job.pending.complete(result)
        }
    }

    private func groupTransaction(_ jobs: [PostgresGroupCommit.Job], savepoints: Bool) async throws -> [Result<Void, any Error>] {
        let (logger, location) = (logger, location)
        return try await transaction { connection in
            var results = [Result<Void, any Error>](repeating: .success(()), count: jobs.count)
            // Appends that failed in this transaction, and why: one taken after them fails, for the same reason, unrun.
            var failed: [ObjectIdentifier: any Error] = [:]
            for (index, job) in jobs.enumerated() {
                if let after = job.after, let cause = after.failure ?? failed[ObjectIdentifier(after)] {
                    results[index] = .failure(cause)
                    failed[ObjectIdentifier(job.pending)] = cause
                    continue
                }
                guard savepoints else {
                    do {
                        try await job.body(connection)
                    } catch where Self.isAppendsOwn(error) {
                        throw GroupRollback(cause: Self.described(error, location))
                    }
                    continue
                }
                try await connection.answered("SAVEPOINT append", logger: logger)
                do {
                    try await job.body(connection)
                    try await connection.answered("RELEASE SAVEPOINT append", logger: logger)
                } catch where Self.isAppendsOwn(error) {
                    let described = Self.described(error, location)
                    results[index] = .failure(described)
                    failed[ObjectIdentifier(job.pending)] = described
                    try await connection.answered("ROLLBACK TO SAVEPOINT append", logger: logger)
                }
            }
            CrashPoint.reach("before-commit")
            return results
        }
    }
}
