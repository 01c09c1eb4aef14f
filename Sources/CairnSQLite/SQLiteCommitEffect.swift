public import Cairn
public import GRDB

/// A commit effect the SQLite journal applies inside the step's commit transaction (in the step's own
/// savepoint): reads that decide a write belong inside `apply` too, so they see the same snapshot.
public protocol SQLiteCommitEffect: CommitEffect {
    /// Writes the effect. Throwing rolls back this step's whole commit and fails the attempt's append.
    func apply(_ db: Database, origin: CommitOrigin) throws
}
