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
    typealias Body = @Sendable (Database) throws -> Void

    private struct Job {
        let body: Body
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var jobs: [Job] = []
        var stopped = false
    }

    private let pool: DatabasePool
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    init(pool: DatabasePool) {
        self.pool = pool
        let thread = Thread { [self] in loop() }
        thread.name = "cairn-committer"
        thread.start()
    }

    /// Runs `body` in the next group transaction; returns once that transaction is durable.
    func submit(_ body: @escaping Body) async throws {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = state.withLock { state in
                guard !state.stopped else { return false }
                state.jobs.append(Job(body: body, continuation: continuation))
                return true
            }
            if accepted {
                wake.signal()
            } else {
                continuation.resume(throwing: CairnError(.journalUnavailable, "the journal is closed"))
            }
        }
    }

    /// Lets queued jobs finish, then stops the thread.
    func stop() {
        state.withLock { $0.stopped = true }
        wake.signal()
    }

    private func loop() {
        while true {
            wake.wait()
            let (jobs, stopped) = state.withLock { state in
                defer { state.jobs = [] }
                return (state.jobs, state.stopped)
            }
            if !jobs.isEmpty { run(jobs) }
            if stopped { return }
        }
    }

    private func run(_ jobs: [Job]) {
        var results = [Result<Void, any Error>](repeating: .success(()), count: jobs.count)
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    for (index, job) in jobs.enumerated() {
                        do {
                            try db.inSavepoint {
                                try job.body(db)
                                return .commit
                            }
                        } catch {
                            results[index] = .failure(error)
                        }
                    }
                    CrashPoint.reach("before-commit")
                    return .commit
                }
            }
            CrashPoint.reach("after-commit")
        } catch {
            // The whole transaction failed: every job fails, with the first job's own error when one
            // caused it (a full disk inside a savepoint aborts the transaction it belongs to).
            let cause = results.lazy.compactMap { result -> (any Error)? in
                if case .failure(let error) = result { error } else { nil }
            }.first ?? error
            results = Array(repeating: .failure(cause), count: jobs.count)
        }
        for (job, result) in zip(jobs, results) {
            job.continuation.resume(with: result.mapError { SQLiteJournal.describe($0) })
        }
    }
}
