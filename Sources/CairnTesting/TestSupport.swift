public import Cairn
import Foundation
public import Testing
import Synchronization

/// Test helpers: synchronisation without sleeps, and a journal that fails on purpose.

/// Counts calls by name, across tasks.
public final class Calls: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    public init() {}

    public func record(_ name: String) { counts.withLock { $0[name, default: 0] += 1 } }
    public func count(_ name: String) -> Int { counts.withLock { $0[name, default: 0] } }
}

/// Lets `parties` tasks wait until all of them have arrived.
public final class Barrier: Sendable {
    private struct State {
        var arrived = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let parties: Int
    private let state = Mutex(State())

    public init(parties: Int) { self.parties = parties }

    public func arriveAndWait() async {
        await withCheckedContinuation { continuation in
            let release = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.arrived += 1
                state.waiters.append(continuation)
                guard state.arrived >= parties else { return [] }
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in release { waiter.resume() }
        }
    }
}

/// A one-shot gate: tasks wait until it opens.
public final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    public init() {}

    public func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    public func wait() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

/// A journal that records into an in-memory journal and fails every append after the first `limit`:
/// the run stops there, as if its process died, and what was journaled stays.
public final class FaultInjectingJournal: Journal {
    public struct DiskFull: Error, CustomStringConvertible {
        public var description: String { "disk full (injected)" }
    }

    public let base = InMemoryJournal()
    private let remaining: Mutex<Int>

    public init(failAfter limit: Int) { remaining = Mutex(limit) }

    public func append(_ records: [JournalRecord], for run: RunID) async throws {
        let allowed = remaining.withLock { remaining in
            defer { remaining -= 1 }
            return remaining > 0
        }
        guard allowed else { throw DiskFull() }
        try await base.append(records, for: run)
    }

    public func records(for run: RunID) async throws -> [JournalRecord] { try await base.records(for: run) }

    public func streamedEvents(for run: RunID, from position: Int, limit: Int) async throws -> [StreamedEvent] {
        try await base.streamedEvents(for: run, from: position, limit: limit)
    }

    public func contains(_ run: RunID) async throws -> Bool { try await base.contains(run) }
}

extension Array where Element == JournalRecord {
    /// Every journaled event, in order.
    public var events: [JournaledEvent] { flatMap(\.events) }
}

/// Waits until the run's journal ends in a record `matching` says yes to: a journal position to synchronise
/// on, read again each time the reading task yields (bound the test with `.timeLimit`).
public func awaitRecord(of run: RunID, in journal: any JournalReader, _ matching: (JournalRecord) -> Bool) async throws {
    while true {
        if let last = try? await journal.records(for: run).last, matching(last) { return }
        try Task.checkCancellation()
        await Task.yield()
    }
}

extension JournalRecord {
    /// Whether this is a `runWaiting` record.
    public var isWaiting: Bool {
        if case .runWaiting = self { return true }
        return false
    }
}

extension Trait where Self == TimeLimitTrait {
    /// The time limit of every suite here: it catches a test that hangs, never one that is slow. Swift Testing starts
    /// every test of a run at once, so on a two-core machine a test waits its turn behind the whole suite — tests that
    /// take half a second alone ran past a minute while hundreds of `cairn` processes started around them.
    public static var hangGuard: Self { .timeLimit(.minutes(5)) }
}
