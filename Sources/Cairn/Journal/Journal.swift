/// Where runs are recorded. The scheduler keeps no run state that is not in here.
///
/// ``InMemoryJournal`` is the built-in implementation; a durable one (SQLite) plugs in the same way.
/// An implementation appends each call's records atomically, in order, and fails the whole call
/// or none of it.
public protocol Journal: Sendable {
    /// Appends `records` to the run's journal, all or nothing.
    func append(_ records: [JournalRecord], for run: RunID) async throws
    /// Every record of the run, in append order; throws ``CairnError/Code/runNotFound`` for an unknown run.
    func records(for run: RunID) async throws -> [JournalRecord]
    /// Up to `limit` streamed events of the run, starting at `position`.
    func streamedEvents(for run: RunID, from position: Int, limit: Int) async throws -> [StreamedEvent]
    /// Whether the run exists.
    func contains(_ run: RunID) async throws -> Bool
}
