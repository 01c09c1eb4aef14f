/// A journal shared by several processes: a run is owned through a lease, and every commit of an owner
/// is fenced by the lease's epoch, so a process that lost its lease can never write again.
public protocol LeasingJournal: Journal {
    /// Takes the run over when its lease has expired (or is held by this journal already).
    /// - Throws: ``CairnError/Code/runOwned`` naming the owner and the expiry when a live process holds it.
    func takeOver(_ run: RunID) async throws
    /// Extends this journal's lease of the run; throws ``CairnError/Code/leaseLost`` when another took it.
    /// Returns `true` when another process asked for the run to be cancelled.
    func renewLease(of run: RunID) async throws -> Bool
    /// Gives the run's lease up at once, so another process may resume it.
    func releaseLease(of run: RunID) async
    /// How often the engine renews its leases.
    var leaseRenewalInterval: Duration { get }
}
