import Foundation
import Synchronization

/// A journal kept in memory: the default for tests and for runs that need no durability.
///
/// It keeps the rules of ``Journal`` like a durable journal does (the conformance suite runs against it), and
/// lists runs with filters and paging. It has no leases: an unfinished run counts as interrupted once its
/// last record is an interruption.
public final class InMemoryJournal: InspectableJournal, PipeliningJournal, InboxJournal {
    private struct Run {
        var records: [JournalRecord] = []
        var inbox: [(entry: InboxEntry, key: String?)] = []
        var streamed: [StreamedEvent] = []
        var effects: [(origin: CommitOrigin, effect: any CommitEffect)] = []
    }

    private struct State {
        var runs: [RunID: Run] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public func append(_ records: [JournalRecord], for run: RunID) async throws {
        try appendNow(records, for: run)
    }

    /// Appends at once: memory is as durable as this journal gets. An append after a failed one fails too.
    public func appendPipelined(_ records: [JournalRecord], for run: RunID, after previous: PendingAppend?) -> PendingAppend {
        let pending = PendingAppend()
        if let failure = previous?.failure {
            pending.complete(.failure(failure))
        } else {
            pending.complete(Result { try appendNow(records, for: run) })
        }
        return pending
    }

    private func appendNow(_ records: [JournalRecord], for run: RunID) throws {
        try state.withLock { state in
            let starts = records.filter { if case .runStarted = $0 { true } else { false } }.count
            if state.runs[run] != nil, starts > 0 {
                throw CairnError(.runExists, "run \(run) exists already: resume it, or start with another id")
            }
            if state.runs[run] == nil {
                guard case .runStarted? = records.first, starts == 1 else {
                    throw CairnError(.runNotFound, "no run \(run) in this journal: a run's first append begins with its start")
                }
                state.runs[run] = Run()
            }
            // Messages to other runs go into their inboxes with the commit that sent them, or the commit is refused
            // for that attempt alone — on a copy of the inboxes, so nothing of a refused append is kept.
            // The same for the runs they start.
            let sending = records.compactMap(\.finishedExecution).filter { !$0.messages.isEmpty || !$0.starts.isEmpty }
            if !sending.isEmpty {
                var delivered = state
                for finished in sending {
                    do {
                        for message in finished.messages {
                            _ = try Self.deliver(message.inboxMessage(from: run), to: message.target, in: &delivered)
                        }
                        for started in finished.starts {
                            guard delivered.runs[started.runID] == nil else { throw CairnError.startsExistingRun(started.runID) }
                            delivered.runs[started.runID] = Run(records: [.runStarted(started)])
                        }
                    } catch {
                        throw CommitEffectError(executionID: finished.executionID, attempt: finished.attempt, step: finished.step,
                                                reason: (error as? CairnError)?.message ?? "\(error)")
                    }
                }
                state = delivered
            }
            // A child's end goes to its parent's inbox with it, when the parent takes it; a parent that ended takes nothing.
            if case .runFinished(let finished)? = records.last, case .runStarted(let started)? = state.runs[run]?.records.first,
               let report = finished.endReport(of: run, to: started.parent) {
                _ = try? Self.deliver(report, to: started.parent!.run, in: &state)
            }
            if case .runFinished(let finished)? = records.last, let successor = finished.successor {
                guard state.runs[successor.runID] == nil else {
                    throw CairnError(.runExists, "run \(run) continues as \(successor.runID), which exists already")
                }
                state.runs[successor.runID] = Run(records: [.runStarted(successor)])
            }
            state.runs[run]!.records += records  // in place: a copy would make appends O(history)
            for case .executionFinished(let finished) in records {
                state.runs[run]!.streamed += finished.streamed
                state.runs[run]!.effects += finished.effects.map { (finished.origin(in: run), $0) }
            }
        }
    }

    public func records(for run: RunID) async throws -> [JournalRecord] {
        guard let records = state.withLock({ $0.runs[run]?.records }) else {
            throw CairnError(.runNotFound, "no run \(run) in this journal")
        }
        return records
    }

    public func streamedEvents(for run: RunID, from position: Int, limit: Int) async throws -> [StreamedEvent] {
        state.withLock { state in
            guard let streamed = state.runs[run]?.streamed, position >= 1, position <= streamed.count, limit > 0 else { return [] }
            return Array(streamed[(position - 1)..<min(streamed.count, position - 1 + limit)])
        }
    }

    public func contains(_ run: RunID) async throws -> Bool {
        state.withLock { $0.runs[run] != nil }
    }

    public func runs(_ query: RunQuery) async throws -> RunPage {
        let matching = state.withLock { state in
            // Newest first by start time, then by id: the order of every journal's listing.
            state.runs.values.compactMap(Self.summary).filter(query.matches).sorted {
                ($0.createdAt, $0.runID.description) > ($1.createdAt, $1.runID.description)
            }
        }
        return RunPage(runs: Array(matching.dropFirst(max(0, query.offset)).prefix(max(0, query.limit))), total: matching.count)
    }

    public func summary(of run: RunID) async throws -> RunSummary? {
        state.withLock { $0.runs[run].flatMap(Self.summary) }
    }

    private static func summary(_ run: Run) -> RunSummary? {
        var interrupted = false
        if case .runInterrupted? = run.records.last { interrupted = true }
        return RunSummary(records: run.records, interrupted: interrupted)
    }

    public func send(_ message: InboxMessage, to run: RunID) async throws -> InboxReceipt {
        try state.withLock { state in try Self.deliver(message, to: run, in: &state) }
    }

    /// Writes `message` into the run's inbox, or refuses it (see ``InboxJournal/send(_:to:)``).
    private static func deliver(_ message: InboxMessage, to run: RunID, in state: inout State) throws -> InboxReceipt {
        guard let target = state.runs[run], case .runStarted(let started)? = target.records.first else {
            throw CairnError(.runNotFound, "no run \(run) in this journal")
        }
        if let key = message.key, let first = target.inbox.first(where: { $0.key == key }) {
            return InboxReceipt(runId: run, inboxSeq: first.entry.inboxSeq, duplicate: true)  // whatever became of the run
        }
        if case .runFinished(let finished)? = target.records.last, !finished.isDeadLetter { throw CairnError.ended(run, status: finished.status) }
        guard started.accepts.contains(message.name) else {
            throw CairnError.notAccepted(message.name, by: run, workflow: started.workflow, accepts: started.accepts)
        }
        let entry = InboxEntry(inboxSeq: target.inbox.count + 1, name: message.name, payload: message.payload, sentAt: Date())
        state.runs[run]!.inbox.append((entry, message.key))
        return InboxReceipt(runId: run, inboxSeq: entry.inboxSeq, duplicate: false)
    }

    public func pendingInboxRows() async throws -> Int {
        state.withLock { state in
            state.runs.values.reduce(0) { total, run in
                let journaled = Set(run.records.flatMap(\.events).compactMap(\.inboxSeq))
                return total + run.inbox.filter { !journaled.contains($0.entry.inboxSeq) }.count
            }
        }
    }

    public func inbox(of run: RunID, after inboxSeq: Int) async throws -> [InboxEntry] {
        state.withLock { $0.runs[run]?.inbox.dropFirst(max(0, inboxSeq)).map(\.entry) ?? [] }
    }

    /// Every commit effect of the run, in commit order.
    public func committedEffects(of run: RunID) -> [(origin: CommitOrigin, effect: any CommitEffect)] {
        state.withLock { $0.runs[run]?.effects ?? [] }
    }

    /// Every run id, for tests and tools.
    public var runIDs: [RunID] { state.withLock { Array($0.runs.keys) } }
}
