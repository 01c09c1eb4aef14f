public import Cairn
public import Foundation
import GRDB

extension SQLiteJournal: SnapshottingJournal {
    public func latestSnapshot(of run: RunID) async throws -> (position: Int, state: Data)? {
        try await read { db in try SnapshotQueries.latest(db, of: run) }
    }

    public func records(for run: RunID, after position: Int, sideEffectsOf executions: Set<Int>) async throws
        -> (sideEffects: [JournalRecord], records: [JournalRecord]) {
        try await read { db in try SnapshotQueries.records(db, of: run, after: position, sideEffectsOf: executions) }
    }

    public func lastSeq(of run: RunID, through position: Int) async throws -> Int {
        try await read { db in try SnapshotQueries.lastSeq(db, of: run, through: position) }
    }

    public func saveSnapshot(_ state: Data, of run: RunID, after previous: PendingAppend?) {
        committer.submit({ db, scratch in
            // The end of the run's journal as it stands in this transaction: after the appends taken before.
            let known = scratch.runs[run.description]?.nextPosition.map { $0 - 1 }
            let position = try known ?? JournalWriter(db: db, run: run).lastPosition()
            try SnapshotQueries.save(db, state, of: run, at: position)
        }, after: previous, completing: PendingAppend())
    }
}

extension ReadOnlyJournal: SnapshotReader {
    public func latestSnapshot(of run: RunID) async throws -> (position: Int, state: Data)? {
        try read { db in try SnapshotQueries.latest(db, of: run) }
    }

    public func records(for run: RunID, after position: Int, sideEffectsOf executions: Set<Int>) async throws
        -> (sideEffects: [JournalRecord], records: [JournalRecord]) {
        try read { db in try SnapshotQueries.records(db, of: run, after: position, sideEffectsOf: executions) }
    }

    public func lastSeq(of run: RunID, through position: Int) async throws -> Int {
        try read { db in try SnapshotQueries.lastSeq(db, of: run, through: position) }
    }
}
