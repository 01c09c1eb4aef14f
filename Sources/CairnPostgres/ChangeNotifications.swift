import Cairn
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Wakes the tasks waiting for the journal to change when any process commits to it: `LISTEN cairn_journal` on a
/// connection of its own, which every transaction that makes a run runnable `NOTIFY`s. A lost connection is
/// reconnected with backoff (and said); a waiter's `limit` is the fallback poll, so a lost notification only delays.
final class ChangeNotifications: Sendable {
    static let channel = "cairn_journal"

    private struct Waiters {
        var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
        var given: Set<Int> = []
        var next = 0
    }

    private let waiters = Mutex(Waiters())
    private let listening = Mutex<Task<Void, Never>?>(nil)

    /// Starts listening on connections `connect` makes, until ``stop()``; a failure is logged as `describe` says it.
    func start(_ connect: @escaping @Sendable () async throws -> PostgresConnection, describe: @escaping @Sendable (any Error) -> String,
               logger: Logger) {
        let task = Task { [weak self] in
            let reconnect = RetryPolicy(maxAttempts: .max, initialBackoff: .milliseconds(100), maxBackoff: .seconds(5))
            var failures = 0
            while !Task.isCancelled {
                do {
                    let connection = try await connect()
                    defer { Task { try? await connection.close() } }
                    try await connection.listen(on: Self.channel) { notifications in
                        if failures > 0 { logger.warning("the journal's server answers again: listening for its changes") }  // as loud as the failures
                        failures = 0
                        self?.signal()  // what was committed while this was not listening
                        for try await _ in notifications { self?.signal() }
                    }
                } catch {
                    if Task.isCancelled { return }
                    failures += 1
                    let backoff = reconnect.backoff(after: failures)
                    logger.warning("listening for the journal's changes failed (\(describe(error))); trying again in \(backoff)")
                    try? await Task.sleep(for: backoff)
                }
            }
        }
        listening.withLock { $0 = task }
    }

    func stop() {
        listening.withLock { $0?.cancel() }
        signal()
    }

    /// Wakes every waiter.
    func signal() {
        let woken = waiters.withLock { waiters in
            defer { waiters.waiting = [:] }
            return Array(waiters.waiting.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns after the next notification, or once `limit` passes, or at once when the task is cancelled.
    func next(upTo limit: Duration) async {
        let id = waiters.withLock { waiters in
            waiters.next += 1
            return waiters.next
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let resumeNow = self.waiters.withLock { waiters in
                            if waiters.given.remove(id) != nil { return true }
                            waiters.waiting[id] = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    let continuation = self.waiters.withLock { waiters in
                        guard let continuation = waiters.waiting.removeValue(forKey: id) else {
                            waiters.given.insert(id)  // cancelled before it waited: it will not wait
                            return nil as CheckedContinuation<Void, Never>?
                        }
                        return continuation
                    }
                    continuation?.resume()
                }
            }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }
}
