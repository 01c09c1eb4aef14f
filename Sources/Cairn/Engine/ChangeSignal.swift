import Synchronization

/// Tells stream readers that a run's journal grew, or that the run's driver stopped.
final class ChangeSignal: Sendable {
    private struct State {
        var version = 0
        var closed = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    /// The current version and whether the driver stopped.
    var current: (version: Int, closed: Bool) { state.withLock { ($0.version, $0.closed) } }

    /// Wakes every reader.
    func notify() { wake { $0.version += 1 } }

    /// Wakes every reader for the last time.
    func close() { wake { $0.closed = true } }

    /// A signal of a run that stopped already.
    static var closed: ChangeSignal {
        let signal = ChangeSignal()
        signal.close()
        return signal
    }

    /// Returns once the version passes `version`, the signal closes, or the task is cancelled.
    func wait(after version: Int) async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state in
                    if state.version != version || state.closed || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    private func wake(_ change: (inout State) -> Void) {
        let waiters = state.withLock { state in
            change(&state)
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }
}
