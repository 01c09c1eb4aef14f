/// Reading a run's journal: what resume, replay, inspection and progress streams need.
public protocol JournalReader: Sendable {
    /// Every record of the run, in append order; throws ``CairnError/Code/runNotFound`` for an unknown run.
    func records(for run: RunID) async throws -> [JournalRecord]
    /// Up to `limit` streamed events of the run, starting at `position`.
    func streamedEvents(for run: RunID, from position: Int, limit: Int) async throws -> [StreamedEvent]
    /// Whether the run exists.
    func contains(_ run: RunID) async throws -> Bool
}

/// Where runs are recorded. The scheduler keeps no run state that is not in here.
///
/// ``InMemoryJournal`` is the built-in implementation; a durable one (SQLite) plugs in the same way, with
/// the optional capabilities it has as refined protocols (``LeasingJournal``, ``InspectableJournal``,
/// ``CancelRequestingJournal``) that callers discover with `as?`. A backend is done when it passes the
/// conformance suite in `CairnTesting` (`JournalConformance`).
///
/// The rules every implementation keeps:
/// - each call's records are appended atomically, in order: all of them or none;
/// - a run begins with an append whose first record is its `runStarted`; a second `runStarted` for the run
///   throws ``CairnError/Code/runExists``, and an append to a run that has none throws
///   ``CairnError/Code/runNotFound`` — in both cases nothing of the call is appended;
/// - event seqs and stream positions are the caller's (the state machine's), stored and returned as given.
public protocol Journal: JournalReader {
    /// Appends `records` to the run's journal, all or nothing.
    func append(_ records: [JournalRecord], for run: RunID) async throws
}

/// A journal that can ask the process driving a run to cancel it (at that process's next lease renewal).
public protocol CancelRequestingJournal: Journal {
    /// Records a cancel request for the run; the owner journals the cancellation.
    func requestCancel(of run: RunID) async throws
}
