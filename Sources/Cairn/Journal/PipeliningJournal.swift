import Synchronization

/// A journal that takes an append now and makes it durable later: a run's next step may start while the
/// commit that journaled its trigger is still on its way to disk (contract 2), so several steps of a
/// sequential run share one fsync.
///
/// The rules, besides ``Journal``'s:
/// - appends of one caller are made durable in the order they were taken;
/// - an append taken `after` another is not made durable when that one failed: it fails too, so a journal
///   never holds a commit whose trigger it lost.
public protocol PipeliningJournal: Journal {
    /// Takes `records` for the run's journal, to be appended after `previous`; returns at once. Await
    /// ``PendingAppend/durable()`` for the outcome.
    func appendPipelined(_ records: [JournalRecord], for run: RunID, after previous: PendingAppend?) -> PendingAppend
}

/// An append taken by a ``PipeliningJournal``, until it is durable or has failed.
public final class PendingAppend: Sendable {
    private enum State {
        case pending(waiters: [CheckedContinuation<Void, any Error>], observers: [@Sendable (Result<Void, any Error>) -> Void])
        case done(Result<Void, any Error>)
    }

    private let state = Mutex(State.pending(waiters: [], observers: []))

    public init() {}

    /// Returns once the append is durable; throws what made it fail.
    public func durable() async throws {
        try await withCheckedThrowingContinuation { continuation in
            let done = state.withLock { state -> Result<Void, any Error>? in
                switch state {
                case .pending(var waiters, let observers):
                    waiters.append(continuation)
                    state = .pending(waiters: waiters, observers: observers)
                    return nil
                case .done(let result):
                    return result
                }
            }
            if let done { continuation.resume(with: done) }
        }
    }

    /// Whether the append has not reached its outcome yet.
    public var isPending: Bool {
        state.withLock { if case .pending = $0 { true } else { false } }
    }

    /// What made the append fail, once it has (`nil` while pending, or when it is durable).
    public var failure: (any Error)? {
        state.withLock { if case .done(.failure(let error)) = $0 { error } else { nil } }
    }

    /// Calls `observer` with the outcome, at once when it is known (on the thread that completes it otherwise).
    public func observe(_ observer: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        let done = state.withLock { state -> Result<Void, any Error>? in
            switch state {
            case .pending(let waiters, var observers):
                observers.append(observer)
                state = .pending(waiters: waiters, observers: observers)
                return nil
            case .done(let result):
                return result
            }
        }
        if let done { observer(done) }
    }

    /// Sets the outcome (once; later calls do nothing) and wakes whoever waits for it.
    public func complete(_ result: Result<Void, any Error>) {
        let pending = state.withLock { state -> ([CheckedContinuation<Void, any Error>], [@Sendable (Result<Void, any Error>) -> Void])? in
            guard case .pending(let waiters, let observers) = state else { return nil }
            state = .done(result)
            return (waiters, observers)
        }
        guard let (waiters, observers) = pending else { return }
        for waiter in waiters { waiter.resume(with: result) }
        for observer in observers { observer(result) }
    }
}
