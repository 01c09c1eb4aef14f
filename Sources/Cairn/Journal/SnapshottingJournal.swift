public import Foundation

/// A journal that keeps snapshots of runs' state machines (``RunSnapshot``, encoded) beside their records, so
/// that a run resumes from its latest snapshot and the records after it instead of its whole history.
public protocol SnapshotReader: JournalReader {
    /// The run's latest snapshot and the position of the last record it includes; `nil` when it has none.
    func latestSnapshot(of run: RunID) async throws -> (position: Int, state: Data)?
    /// The run's records after `position`, and — at or before it — the side effects of `executions`, which
    /// their attempts journaled while they ran, before the state machine saw them.
    func records(for run: RunID, after position: Int, sideEffectsOf executions: Set<Int>) async throws
        -> (sideEffects: [JournalRecord], records: [JournalRecord])
    /// The last event seq journaled at or before `position`: what a snapshot taken there must continue from.
    func lastSeq(of run: RunID, through position: Int) async throws -> Int
}

/// A ``SnapshotReader`` that a driver writes snapshots to.
public protocol SnapshottingJournal: SnapshotReader, PipeliningJournal {
    /// Keeps `state` as the run's snapshot at the end of its journal as it stands once the appends before it
    /// (`after`) are written, replacing an older one. A cache: when it cannot be written, nothing else fails.
    func saveSnapshot(_ state: Data, of run: RunID, after previous: PendingAppend?)
}
