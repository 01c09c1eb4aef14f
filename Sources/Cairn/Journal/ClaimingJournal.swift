public import Foundation

/// A journal workers claim runs from (`cairn worker`): shared by processes, woken by each other's commits.
public protocol ClaimingJournal: LeasingJournal, InspectableJournal, CancelRequestingJournal, ChangeWaitingJournal {
    /// This process's identity as a lease owner.
    var owner: String { get }
    /// The runs of `workflows` (the ones this worker can drive) a worker may claim now, up to `limit`, and when the
    /// next waiting one falls due. Claiming is a fenced takeover: of two workers that get the same run, one drives it.
    /// A journal may take the runs' leases as it lists them (PostgreSQL does, in the same statement), or leave that to
    /// the takeover (SQLite): so a worker asks for no more than it will drive.
    ///
    /// Runs already started — whose owner is gone, or waiting runs that fall due — come before runs no one has
    /// started yet, each oldest first: work in progress finishes first, and a dead worker's runs do not queue behind
    /// new ones for the next free slot.
    ///
    /// None of `driven` is among them: the runs the caller drives now. A run whose driver is ending has let its lease
    /// go before its caller hears that it ended; claimed again then, no one would drive it.
    func claimableRuns(limit: Int, workflows: [String], excluding driven: Set<RunID>) async throws -> ClaimableRuns
    /// Journals a run that no process drives yet (`pending`), for a worker to claim: `cairn run --detach`.
    /// - Throws: `run-exists` when the journal has a run of that id.
    func enqueue(_ started: RunStarted) async throws
}

/// What a worker may take over.
public struct ClaimableRuns: Sendable {
    /// Unfinished runs no live process owns that have something to do now, oldest first: runs interrupted or whose
    /// owner died (their lease expired, or their owner is provably gone), runs no one drove yet, and waiting runs with
    /// an event in their inbox or a timer due.
    public let runs: [(runID: RunID, workflow: String)]
    /// The earliest time a waiting run no one owns falls due, after now: when to look again.
    public let nextWake: Date?

    public init(runs: [(runID: RunID, workflow: String)], nextWake: Date?) {
        self.runs = runs
        self.nextWake = nextWake
    }
}
