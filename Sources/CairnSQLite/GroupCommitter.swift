import Cairn
import Foundation
import GRDB
import Synchronization

/// The one writer of a journal: appends from every run of the process queue here, and a dedicated
/// thread drains them into one transaction — one fsync — with each append in its own savepoint.
///
/// A dedicated thread, not the cooperative pool: a blocking fsync on one of the pool's two threads here
/// would stall every step.
final class GroupCommitter: Sendable {
    typealias Body = @Sendable (Database, TransactionScratch) throws -> Void

    private struct Job {
        let body: Body
        /// The append this one comes after: when it failed, this one fails without running.
        let after: PendingAppend?
        /// This job's own pending append, if it has one: a job after it in the same batch looks it up.
        let pending: PendingAppend?
        let complete: @Sendable (Result<Void, any Error>) -> Void
    }

    private struct State {
        var jobs: [Job] = []
        var stopped = false
        var files: JournalFileWatch
        /// Set once the files were found deleted or replaced: no commit is reported durable after that.
        var lost: (any Error)?
        /// Group transactions committed so far.
        var committed = 0
    }

    private let pool: DatabasePool
    private let state: Mutex<State>
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(pool: DatabasePool, files: JournalFileWatch) {
        self.pool = pool
        state = Mutex(State(files: files))
        let thread = Thread { [self] in loop() }
        thread.name = "cairn-committer"
        thread.start()
    }

    /// Runs `body` in the next group transaction; returns once that transaction is durable.
    func submit(_ body: @escaping @Sendable (Database) throws -> Void) async throws {
        try await withCheckedThrowingContinuation { continuation in
            enqueue({ db, _ in try body(db) }, after: nil, pending: nil) { continuation.resume(with: $0) }
        }
    }

    /// Queues `body` for the next group transaction and returns at once; `pending` gets the outcome once that
    /// transaction is durable (or failed). When `after` failed, `body` does not run and `pending` fails too.
    func submit(_ body: @escaping Body, after: PendingAppend?, completing pending: PendingAppend,
                then finish: @escaping @Sendable (Result<Void, any Error>) -> Void = { _ in }) {
        enqueue(body, after: after, pending: pending) { result in
            finish(result)
            pending.complete(result)
        }
    }

    private func enqueue(_ body: @escaping Body, after: PendingAppend?, pending: PendingAppend?,
                         complete: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        let accepted = state.withLock { state in
            guard !state.stopped else { return false }
            state.jobs.append(Job(body: body, after: after, pending: pending, complete: complete))
            return true
        }
        if accepted {
            wake.signal()
        } else {
            complete(.failure(CairnError(.journalUnavailable, "the journal is closed")))
        }
    }

    /// Group transactions committed so far (one fsync each).
    var transactionsCommitted: Int { state.withLock { $0.committed } }

    /// Whether the journal and WAL are still the files the writer opened.
    var filesIntact: Bool { state.withLock { $0.lost == nil } }

    /// Lets queued jobs finish, then stops the thread and waits for it. Returns false when it had been
    /// stopped already.
    @discardableResult
    func stop() -> Bool {
        let first = state.withLock { state in
            defer { state.stopped = true }
            return !state.stopped
        }
        guard first else { return false }
        wake.signal()
        finished.wait()
        return true
    }

    private func loop() {
        while true {
            wake.wait()
            let (jobs, stopped) = state.withLock { state in
                defer { state.jobs = [] }
                return (state.jobs, state.stopped)
            }
            if !jobs.isEmpty { run(jobs) }
            if stopped {
                finished.signal()
                return
            }
        }
    }

    private func run(_ jobs: [Job]) {
        var results: [Result<Void, any Error>]
        do {
            if let lost = state.withLock({ $0.lost }) { throw lost }
            // Most batches fail no job, and run without savepoints: a savepoint copies every page its job first
            // touches into the statement journal, which cost a quarter of the committer's time (measured). A batch
            // in which a job fails is rolled back and run again, with a savepoint per job.
            results = try commit(jobs, savepoints: false) ?? commit(jobs, savepoints: true)!
            CrashPoint.reach("after-commit")
            let lost = state.withLock { state -> (any Error)? in
                state.committed += 1
                do {
                    try state.files.check()
                } catch {
                    state.lost = error
                }
                return state.lost
            }
            if let lost { results = Array(repeating: .failure(lost), count: jobs.count) }
        } catch let failed as BatchFailed {
            // The whole transaction failed: every job fails, with the first job's own error when one caused it (a
            // full disk inside a savepoint aborts the transaction it belongs to).
            results = Array(repeating: .failure(failed.cause), count: jobs.count)
        } catch {
            results = Array(repeating: .failure(error), count: jobs.count)
        }
        for (job, result) in zip(jobs, results) {
            job.complete(result.mapError { SQLiteJournal.describe($0) })
        }
    }

    /// The whole group transaction failed, first because of `cause`.
    private struct BatchFailed: Error {
        let cause: any Error
    }

    /// Runs the jobs in one transaction and commits it; returns each job's result. Without `savepoints`, a job
    /// that throws rolls the whole transaction back and the answer is `nil`: run the batch again with them.
    private func commit(_ jobs: [Job], savepoints: Bool) throws -> [Result<Void, any Error>]? {
        var results = [Result<Void, any Error>](repeating: .success(()), count: jobs.count)
        do {
            let committed = try pool.writeWithoutTransaction { db in
                let scratch = TransactionScratch()
                var committed = true
                try db.inTransaction(.immediate) {
                    // Appends that failed in this transaction, and why: one taken after them fails, for the same
                    // reason, without running.
                    var failed: [ObjectIdentifier: any Error] = [:]
                    for (index, job) in jobs.enumerated() {
                        if let after = job.after, let cause = after.failure ?? failed[ObjectIdentifier(after)] {
                            results[index] = .failure(cause)
                            if let pending = job.pending { failed[ObjectIdentifier(pending)] = cause }
                            continue
                        }
                        guard savepoints else {
                            do {
                                try job.body(db, scratch)
                                continue
                            } catch {
                                committed = false
                                return .rollback
                            }
                        }
                        // A savepoint per job, through cached statements (GRDB's `inSavepoint` compiles its
                        // SAVEPOINT and RELEASE on every call, which cost more than many a job).
                        try db.cachedStatement(sql: "SAVEPOINT job").execute()
                        let learned = scratch.runs
                        do {
                            try job.body(db, scratch)
                            try db.cachedStatement(sql: "RELEASE SAVEPOINT job").execute()
                        } catch {
                            scratch.runs = learned  // what the rolled-back job learned is gone with it
                            results[index] = .failure(error)
                            if let pending = job.pending { failed[ObjectIdentifier(pending)] = error }
                            // When the failure aborted the transaction (a full disk), this throws: every job fails.
                            try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT job").execute()
                            try db.cachedStatement(sql: "RELEASE SAVEPOINT job").execute()
                        }
                    }
                    CrashPoint.reach("before-commit")
                    return .commit
                }
                return committed
            }
            return committed ? results : nil
        } catch {
            let cause = results.lazy.compactMap { result -> (any Error)? in
                if case .failure(let error) = result { error } else { nil }
            }.first ?? error
            throw BatchFailed(cause: cause)
        }
    }
}

/// What the appends of one group transaction learned about their runs — that a run exists, that its lease is
/// this process's at an epoch, where its journal ends — so the next append of the same run in that
/// transaction need not ask again. Only the committer thread touches it.
final class TransactionScratch {
    struct Run {
        var fencedEpoch: Int?
        var nextPosition: Int?
    }

    var runs: [String: Run] = [:]
}
