import Synchronization

/// Everything that reaches a run's driver: attempt results, timers and the caller's requests.
/// Many senders, one reader, which drains what has queued up in one go.
final class DriverInbox: Sendable {
    enum Message: Sendable {
        /// An attempt returned or threw.
        case attempt(AttemptResult)
        /// A time the driver asked to be woken at has come.
        case timer
        /// An attempt outlived its step's timeout: cancel it.
        case attemptTimedOut(executionID: Int, attempt: Int)
        /// A cancelled attempt outlived its grace period: abandon it.
        case attemptAbandoned(executionID: Int, attempt: Int)
        /// Time to renew the run's lease.
        case renewLease
        /// The caller cancelled or interrupted the run.
        case control(RunControl)
    }

    private struct State {
        var queue: [Message] = []
        var reader: CheckedContinuation<[Message], Never>?
        var closed = false
    }

    private let state = Mutex(State())

    /// Queues `message`; dropped once the driver has stopped.
    func send(_ message: Message) {
        let reader = state.withLock { state -> CheckedContinuation<[Message], Never>? in
            guard !state.closed else { return nil }
            if let reader = state.reader {
                state.reader = nil
                return reader
            }
            state.queue.append(message)
            return nil
        }
        reader?.resume(returning: [message])
    }

    /// Everything queued, waiting for at least one message.
    func next() async -> [Message] {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> [Message]? in
                guard state.queue.isEmpty else {
                    defer { state.queue = [] }
                    return state.queue
                }
                state.reader = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Stops accepting messages.
    func close() {
        state.withLock { state in
            state.closed = true
            state.queue = []
        }
    }
}
