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
    /// Keeps this journal's lease of the run renewed, together with every other lease it keeps (one
    /// transaction per interval for all of them, rather than a renewal per run), until the returned keeping is
    /// cancelled; tells `events` when another process asked for a cancel, or took the run over. `nil`: the
    /// journal keeps no leases itself, and the engine renews each with ``renewLease(of:)``.
    func keepLease(of run: RunID, events: @escaping @Sendable (LeaseEvent) -> Void) -> LeaseKeeping?
    /// Takes the run over when nobody drove it yet — it is `pending`, as a commit of another run started it — and
    /// returns `true`; `false`, taking nothing, when someone did (then it is resumed like any run). `false` by
    /// default.
    func takeOverIfPending(_ run: RunID) async throws -> Bool
}

extension LeasingJournal {
    public func keepLease(of run: RunID, events: @escaping @Sendable (LeaseEvent) -> Void) -> LeaseKeeping? { nil }
    public func takeOverIfPending(_ run: RunID) async throws -> Bool { false }
}

/// What a journal keeping a lease tells its run's driver.
public enum LeaseEvent: Sendable {
    /// Another process asked for the run to be cancelled.
    case cancelRequested
    /// Another process took the run over: this one may no longer write to it.
    case lost(CairnError)
}

/// A lease a journal keeps renewed (``LeasingJournal/keepLease(of:events:)``): cancel it when the run stops.
public final class LeaseKeeping: Sendable {
    private let stop: @Sendable () -> Void

    public init(cancel: @escaping @Sendable () -> Void) { stop = cancel }

    public func cancel() { stop() }
}
