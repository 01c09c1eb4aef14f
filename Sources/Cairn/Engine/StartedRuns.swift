import Synchronization

/// The runs an engine drives because its runs started them (children called or started, subscribers), in the
/// order they were started, so that a foreground caller (`cairn run`) can announce their waits as they come and
/// follow them to their end.
final class StartedRuns: Sendable {
    private struct State {
        /// By the order their claims began.
        var handles: [Int: AnyRunHandle] = [:]
        var claims = 0
        /// Claims under way: a handle is still to come for each.
        var claiming = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
        var observers: [Int: AsyncStream<AnyRunHandle>.Continuation] = [:]
        var nextObserver = 0
    }

    private let state = Mutex(State())

    /// A claim begins: ``all()`` waits for it. Returns its place.
    func claiming() -> Int {
        state.withLock { state in
            state.claiming += 1
            state.claims += 1
            return state.claims
        }
    }

    /// The claim at `place` ended, with the run's handle when this engine drives it.
    func claimed(_ place: Int, _ handle: AnyRunHandle?) {
        let (waiters, observers) = state.withLock { state in
            state.handles[place] = handle
            state.claiming -= 1
            let observers = handle == nil ? [] : Array(state.observers.values)
            guard state.claiming == 0 else { return ([CheckedContinuation<Void, Never>](), observers) }
            defer { state.waiters = [] }
            return (state.waiters, observers)
        }
        if let handle { for observer in observers { observer.yield(handle) } }
        for waiter in waiters { waiter.resume() }
    }

    /// Every run taken so far, once no claim is under way.
    func all() async -> [AnyRunHandle] {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                guard state.claiming > 0 else { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
        return state.withLock { $0.handles.sorted { $0.key < $1.key }.map(\.value) }
    }

    /// Each run taken, those so far first; cancel the iterating task when done.
    func stream() -> AsyncStream<AnyRunHandle> {
        let (stream, continuation) = AsyncStream<AnyRunHandle>.makeStream()
        let id = state.withLock { state in
            state.nextObserver += 1
            state.observers[state.nextObserver] = continuation
            for handle in state.handles.sorted(by: { $0.key < $1.key }).map(\.value) { continuation.yield(handle) }
            return state.nextObserver
        }
        continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.observers.removeValue(forKey: id) } }
        return stream
    }
}
