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
        var files: JournalFileWatch
        /// Set once the files were found deleted or replaced: no commit is reported durable after that.
        var lost: (any Error)?
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

    /// Runs `body` in the next group transaction; returns what it returned once that transaction is durable.
    func submit<T: Sendable>(returning body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let result = Mutex<T?>(nil)
        try await submit { db in
            let value = try body(db)
            result.withLock { $0 = value }
        }
        return result.withLock { $0! }
    }

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
        var results = [Result<Void, any Error>](repeating: .success(()), count: jobs.count)
        do {
            if let lost = state.withLock({ $0.lost }) { throw lost }
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
            let lost = state.withLock { state -> (any Error)? in
                do {
                    try state.files.check()
                } catch {
                    state.lost = error
                }
                return state.lost
            }
            if let lost { results = Array(repeating: .failure(lost), count: jobs.count) }
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
