public import Foundation

/// A journal that deletes the history of finished runs (`cairn db prune`) and keeps what audits read.
///
/// Each pruned run keeps its summary (status, input, result, times) marked ``RunSummary/prunedAt``, its takeover
/// and end records (``PruneReport/recordsKept``), and whatever a domain wrote (the inventory's ledger); its events,
/// stream, store writes, side effects, inbox, lease, snapshot and step records go. An unfinished run (running,
/// waiting, interrupted) and a dead letter (a fixed binary may reopen it) are never pruned.
public protocol PruningJournal: Journal {
    /// Prunes the runs that finished before `cutoff`, `batchSize` runs per transaction — so commits of live runs
    /// wait for one batch at most — telling `progress` the runs pruned so far after each batch.
    func prune(finishedBefore cutoff: Date, batchSize: Int, progress: @Sendable (Int) -> Void) async throws -> PruneReport
}

extension PruningJournal {
    /// Prunes the runs that finished before `cutoff`, 100 per transaction.
    public func prune(finishedBefore cutoff: Date) async throws -> PruneReport {
        try await prune(finishedBefore: cutoff, batchSize: 100, progress: { _ in })
    }
}

/// What ``PruningJournal/prune(finishedBefore:batchSize:progress:)`` did.
public struct PruneReport: Sendable, Codable, Equatable {
    /// Runs whose history was deleted.
    public var pruned = 0
    /// Runs started before the cutoff that have not finished: live, waiting or interrupted, never pruned.
    public var unfinished = 0
    /// Dead letters finished before the cutoff: kept, as a fixed binary may reopen them.
    public var deadLetters = 0
    /// SQLite: pages of the file now free for new commits to reuse (the file does not shrink; `VACUUM` would need
    /// every other process to let go of it). `nil` where the database reclaims space itself (PostgreSQL's autovacuum).
    public var freePages: Int?

    /// The tables whose rows of a pruned run are all deleted (its `journal` rows go too, but for ``recordsKept``).
    public static let historyTables = ["event", "stream_event", "store_write", "side_effect", "inbox", "lease", "snapshot"]

    /// The journal record kinds a pruned run keeps: its takeovers (the `resumes` count and the audit's `resumed`
    /// read them) and its end.
    public static let recordsKept = ["run_resumed", "run_finished"]

    public init(pruned: Int = 0, unfinished: Int = 0, deadLetters: Int = 0, freePages: Int? = nil) {
        self.pruned = pruned
        self.unfinished = unfinished
        self.deadLetters = deadLetters
        self.freePages = freePages
    }
}

extension CairnError {
    /// What reading a pruned run's records says: its history is gone, its summary remains.
    public static func historyPruned(of run: RunID, at pruned: Date) -> CairnError {
        CairnError(.historyPruned, "run \(run)'s history was pruned at \(Timestamp.text(pruned)) (cairn db prune): its summary remains, "
            + "but it cannot be replayed, forked, exported or resumed")
    }
}
