import Cairn
public import ServiceLifecycle
import Synchronization

/// What the API holds that a graceful shutdown must let go: the event streams it serves (a client following a run
/// that goes on for hours would otherwise hold the shutdown open) and the runs it started (interrupted, resumable,
/// like a worker's). Run it in the server's service group.
public final class EventStreams: Service, Sendable {
    private let closing = Atomic<Bool>(false)
    private let heartbeats = Atomic<Int>(0)
    private let started = Mutex<[RunID: AnyRunHandle]>([:])

    public init() {}

    /// Whether the server is shutting down: a stream ends at its next look at the journal.
    var isClosing: Bool { closing.load(ordering: .relaxed) }

    /// How many heartbeats (comment lines on idle streams) the API's event streams have written.
    public var heartbeatsWritten: Int { heartbeats.load(ordering: .relaxed) }

    func heartbeatWritten() { heartbeats.add(1, ordering: .relaxed) }

    /// A run the API started, interrupted at shutdown unless it has ended by then.
    func started(_ handle: AnyRunHandle) {
        started.withLock { $0[handle.runID] = handle }
        Task { [self] in
            _ = await handle.end()
            _ = started.withLock { $0.removeValue(forKey: handle.runID) }
        }
    }

    public func run() async throws {
        try? await gracefulShutdown()
        closing.store(true, ordering: .relaxed)
        let runs = started.withLock { Array($0.values) }
        for run in runs { run.interrupt() }
        for run in runs { _ = await run.end() }
    }
}
