import Synchronization

/// A journal kept in memory: the default for tests and for runs that need no durability.
public final class InMemoryJournal: Journal {
    private struct Run {
        var records: [JournalRecord] = []
        var streamed: [StreamedEvent] = []
        var effects: [(origin: CommitOrigin, effect: any CommitEffect)] = []
    }

    private let runs = Mutex<[RunID: Run]>([:])

    public init() {}

    public func append(_ records: [JournalRecord], for run: RunID) async throws {
        runs.withLock { runs in
            runs[run, default: Run()].records += records  // in place: a copy would make appends O(history)
            for case .executionFinished(let finished) in records {
                runs[run, default: Run()].streamed += finished.streamed
                runs[run, default: Run()].effects += finished.effects.map { (finished.origin(in: run), $0) }
            }
        }
    }

    public func records(for run: RunID) async throws -> [JournalRecord] {
        guard let records = runs.withLock({ $0[run]?.records }) else {
            throw CairnError(.runNotFound, "no run \(run) in this journal")
        }
        return records
    }

    public func streamedEvents(for run: RunID, from position: Int, limit: Int) async throws -> [StreamedEvent] {
        runs.withLock { runs in
            guard let streamed = runs[run]?.streamed, position >= 1, position <= streamed.count else { return [] }
            return Array(streamed[(position - 1)..<min(streamed.count, position - 1 + limit)])
        }
    }

    public func contains(_ run: RunID) async throws -> Bool {
        runs.withLock { $0[run] != nil }
    }

    /// Every commit effect of the run, in commit order.
    public func committedEffects(of run: RunID) -> [(origin: CommitOrigin, effect: any CommitEffect)] {
        runs.withLock { $0[run]?.effects ?? [] }
    }

    /// Every run id, for tests and tools.
    public var runIDs: [RunID] { runs.withLock { Array($0.keys) } }
}
