import Cairn
import Foundation
import Synchronization

/// Renews every lease a journal keeps for the runs its process drives, all of them in one transaction per
/// renewal interval (``LeasingJournal/keepLease(of:events:)``): a thousand idle runs cost one transaction
/// every few seconds, not a thousand, and no task per run wakes up for it. One task, alive while a lease is
/// kept; a failed renewal is tried again at the next interval (a lease lasts three).
final class LeaseKeeper: Sendable {
    /// What one renewal found: the runs another process took over, and those it asked to cancel.
    struct Renewal: Sendable {
        var lost: Set<RunID> = []
        var cancelRequested: Set<RunID> = []
    }

    private struct Kept {
        let id: Int
        let events: @Sendable (LeaseEvent) -> Void
    }

    private struct State {
        var kept: [RunID: Kept] = [:]
        var nextID = 0
        var task: Task<Void, Never>?
    }

    private let interval: Duration
    private let renew: @Sendable ([RunID]) async throws -> Renewal
    private let state = Mutex(State())

    init(interval: Duration, renew: @escaping @Sendable ([RunID]) async throws -> Renewal) {
        self.interval = interval
        self.renew = renew
    }

    func keep(_ run: RunID, events: @escaping @Sendable (LeaseEvent) -> Void) -> LeaseKeeping {
        let id = state.withLock { state in
            state.nextID += 1
            state.kept[run] = Kept(id: state.nextID, events: events)
            if state.task == nil { state.task = Task { [weak self] in await self?.loop() } }
            return state.nextID
        }
        return LeaseKeeping { [weak self] in
            self?.state.withLock { state in
                if state.kept[run]?.id == id { state.kept[run] = nil }
            }
        }
    }

    deinit { state.withLock { $0.task?.cancel() } }

    private func loop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let kept = state.withLock { state -> [RunID: Kept] in
                if state.kept.isEmpty { state.task = nil }
                return state.kept
            }
            guard !kept.isEmpty else { return }
            guard let renewal = try? await renew(Array(kept.keys)) else { continue }
            for run in renewal.lost {
                kept[run]?.events(.lost(CairnError(.leaseLost, "another process took run \(run) over after this one's lease expired; "
                    + "this process stopped writing to it")))
            }
            for run in renewal.cancelRequested { kept[run]?.events(.cancelRequested) }
        }
    }
}
