import Foundation
import Synchronization

/// Everything that reaches a run's driver: attempt results, timers and the caller's requests.
///
/// Many senders, one drainer at a time, and no task that waits for messages: the sender that finds nobody
/// draining becomes the drainer and runs the driver on what has queued up (``RunDriver/drain(continuing:)``)
/// until the queue is empty. An attempt's task that finishes its step thus commits it and — when that commit
/// makes one step due — runs that step too, in the same task: a sequential step costs no task hop and no
/// thread wake-up.
final class DriverInbox: Sendable {
    /// A step's open wait, with the task that waits for its answer.
    struct WaitCall: Sendable {
        let executionID: Int
        let attempt: Int
        let request: WaitRequest
        let continuation: CheckedContinuation<Data, any Error>
        /// Whether the waiting task was cancelled before its driver took the call.
        let cancelled: @Sendable () -> Bool
    }

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
        /// Events were sent to the run: journal what its inbox holds.
        case inboxChanged
        /// This event was sent to the run from this process (its row is durable): journal it, and what its inbox
        /// holds before it.
        case sent(InboxEntry)
        /// A step opens a wait: journal it, answer it when its event comes.
        case openWait(WaitCall)
        /// The task waiting in a step was cancelled: resume it.
        case waitCancelled(executionID: Int, attempt: Int)
        /// A commit taken before its durability failed: the run stops, resumable from what is durable.
        case appendFailed(any Error)
    }

    private struct State {
        var queue: [Message] = []
        /// Someone runs the driver on the queue. True until the driver is attached: its first drain is its start.
        var draining = true
        var driver: RunDriver?
        var closed = false
    }

    private let state = Mutex(State())

    /// Queues `message`; when nobody drains, drains in a new task. Dropped once the driver has stopped.
    func send(_ message: Message) {
        guard let driver = post(message) else { return }
        Task { _ = await driver.drain(continuing: nil) }
    }

    /// Queues `message`; when nobody drains, drains in this task. Returns the attempt the drain started for
    /// `lane` to run next, if any.
    func deliver(_ message: Message, continuing lane: AttemptLane?) async -> RunDriver.Launch? {
        guard let driver = post(message) else { return nil }
        return await driver.drain(continuing: lane)
    }

    /// Queues `message`; returns the driver when the caller is to drain. A wait sent after the driver stopped
    /// is resumed at once, cancelled: nothing will answer it.
    private func post(_ message: Message) -> RunDriver? {
        let (driver, dropped) = state.withLock { state -> (RunDriver?, Bool) in
            guard !state.closed else { return (nil, true) }
            state.queue.append(message)
            guard !state.draining, let driver = state.driver else { return (nil, false) }
            state.draining = true
            return (driver, false)
        }
        if dropped, case .openWait(let call) = message { call.continuation.resume(throwing: CancellationError()) }
        return driver
    }

    /// The driver's messages go to `driver`, whose first drain is under way.
    func attach(_ driver: RunDriver) {
        state.withLock { $0.driver = driver }
    }

    /// For the drainer: everything queued. When nothing is, the caller stops draining, atomically: a message
    /// sent after this makes its sender the next drainer.
    func take() -> [Message] {
        state.withLock { state in
            guard !state.queue.isEmpty else {
                state.draining = false
                return []
            }
            defer { state.queue = [] }
            return state.queue
        }
    }

    /// Stops accepting messages and lets go of the driver.
    func close() {
        state.withLock { state in
            state.closed = true
            state.queue = []
            state.driver = nil
        }
    }
}
