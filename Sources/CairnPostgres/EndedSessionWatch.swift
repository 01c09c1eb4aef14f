import Foundation
import PostgresNIO
import Synchronization

/// Gives up on work whose connection closed under it and that has not finished a moment later.
///
/// postgres-nio 1.33 never answers a query written to a connection that closed in the instant after
/// ``PostgresConnection/answered(_:logger:)`` found it open: the write lands on a torn-down pipeline and the query's
/// promise is dropped. Without this, a worker's group commit — and every commit queued behind it — waited forever
/// for such an answer after the server went away, its runs held (this worker excludes them from its claims) and their
/// leases renewed (no other worker takes them). A query the connection had received fails at once when it closes;
/// only the lost ones are still waiting ``grace`` later. While anything is in flight, one task looks every
/// ``interval``; it ends when nothing is.
final class EndedSessionWatch: Sendable {
    static let interval = Duration.milliseconds(250)
    static let grace = Duration.seconds(1)

    private struct Entry {
        var connection: PostgresConnection?
        var closedSince: ContinuousClock.Instant?
        let giveUp: @Sendable () -> Void
    }

    private struct State {
        var entries: [Int: Entry] = [:]
        var next = 0
        var looking = false
    }

    private let state = Mutex(State())

    /// Runs `body` on a connection `lease` gives it, in a task of its own; returns its outcome — or throws
    /// ``SessionEnded`` once the connection has been closed for ``grace`` and `body` is still waiting. The abandoned
    /// task stays suspended on the lost answer; its connection is closed and no longer pooled.
    func run<T: Sendable>(
        lease: @escaping @Sendable (@escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let outcome = Outcome<T>()
        let id = register { outcome.finish(.failure(SessionEnded())) }
        defer { unregister(id) }
        let work = Task {
            outcome.finish(await Result {
                try await lease { connection in
                    self.attach(connection, to: id)
                    return try await body(connection)
                }
            })
        }
        return try await withTaskCancellationHandler {
            try await outcome.value()
        } onCancel: {
            work.cancel()
        }
    }

    private func register(giveUp: @escaping @Sendable () -> Void) -> Int {
        let (id, starts) = state.withLock { state in
            state.next += 1
            state.entries[state.next] = Entry(giveUp: giveUp)
            defer { state.looking = true }
            return (state.next, !state.looking)
        }
        if starts { Task { await look() } }
        return id
    }

    private func attach(_ connection: PostgresConnection, to id: Int) {
        state.withLock { $0.entries[id]?.connection = connection }
    }

    private func unregister(_ id: Int) {
        _ = state.withLock { $0.entries.removeValue(forKey: id) }
    }

    private func look() async {
        while true {
            try? await Task.sleep(for: Self.interval)
            let now = ContinuousClock.now
            let abandoned = state.withLock { state -> [@Sendable () -> Void]? in
                if state.entries.isEmpty {
                    state.looking = false
                    return nil
                }
                var abandoned: [@Sendable () -> Void] = []
                for (id, entry) in state.entries {
                    guard let connection = entry.connection, connection.isClosed else { continue }
                    guard let since = entry.closedSince else {
                        state.entries[id]?.closedSince = now
                        continue
                    }
                    if now - since >= Self.grace {
                        abandoned.append(entry.giveUp)
                        state.entries[id] = nil
                    }
                }
                return abandoned
            }
            guard let abandoned else { return }
            for giveUp in abandoned { giveUp() }
        }
    }
}

/// The first outcome given, handed to the one waiter.
private final class Outcome<T: Sendable>: Sendable {
    private struct State {
        var result: Result<T, any Error>?
        var waiter: CheckedContinuation<T, any Error>?
    }

    private let state = Mutex(State())

    func finish(_ result: Result<T, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { state -> Result<T, any Error>? in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
