public import ServiceLifecycle
import Synchronization

/// Ends the API's event streams when the server shuts down gracefully: a client following a run that goes on for
/// hours would otherwise hold the shutdown open. Run it in the server's service group.
public final class EventStreams: Service, Sendable {
    private let closing = Atomic<Bool>(false)

    public init() {}

    /// Whether the server is shutting down: a stream ends at its next look at the journal.
    var isClosing: Bool { closing.load(ordering: .relaxed) }

    public func run() async throws {
        try? await gracefulShutdown()
        closing.store(true, ordering: .relaxed)
    }
}
