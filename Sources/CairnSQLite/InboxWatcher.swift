import Cairn
import Foundation
import GRDB
import Synchronization

/// Notices events other processes send to the runs this process drives (contract 12: no busy polling). One
/// task per journal, alive only while some run is watched: each tick it reads `PRAGMA data_version` on a
/// connection of its own — which changes only when another connection committed — and only then asks the
/// inbox, in one indexed query, which watched run has a row it has not seen.
final class InboxWatcher: Sendable {
    /// How often the data version is read while some run is watched.
    static let tick = Duration.milliseconds(10)

    private struct Watched {
        let id: Int
        let sent: @Sendable () -> Void
        var lastSeen = 0
    }

    private struct State {
        var runs: [RunID: [Watched]] = [:]
        var nextID = 0
        var task: Task<Void, Never>?
    }

    private let path: String
    private let state = Mutex(State())

    init(path: String) {
        self.path = path
    }

    func watch(_ run: RunID, sent: @escaping @Sendable () -> Void) -> InboxWatch {
        let id = state.withLock { state in
            state.nextID += 1
            state.runs[run, default: []].append(Watched(id: state.nextID, sent: sent))
            if state.task == nil { state.task = Task.detached { [weak self] in await self?.poll() } }
            return state.nextID
        }
        return InboxWatch { [weak self] in self?.unwatch(run, id: id) }
    }

    private func unwatch(_ run: RunID, id: Int) {
        let task = state.withLock { state -> Task<Void, Never>? in
            state.runs[run]?.removeAll { $0.id == id }
            if state.runs[run]?.isEmpty == true { state.runs[run] = nil }
            guard state.runs.isEmpty else { return nil }
            defer { state.task = nil }
            return state.task
        }
        task?.cancel()
    }

    deinit { state.withLock { $0.task?.cancel() } }

    private func poll() async {
        guard let watch = try? JournalChangeWatch(path: path) else { return }
        while !Task.isCancelled {
            if watch.changed() { notifyChanged(watch.connection) }
            try? await Task.sleep(for: Self.tick)
        }
        try? watch.connection.close()
    }

    /// Calls the watchers of every run whose inbox grew since it was last looked at.
    private func notifyChanged(_ connection: DatabaseQueue) {
        let runs = state.withLock { Array($0.runs.keys) }
        guard !runs.isEmpty else { return }
        let marks = runs.map { _ in "?" }.joined(separator: ", ")
        let latest = (try? connection.inDatabase { db in
            try Row.fetchAll(db, sql: "SELECT run_id, MAX(seq) FROM inbox WHERE run_id IN (\(marks)) GROUP BY run_id",
                             arguments: StatementArguments(runs.map(\.description)))
                .compactMap { row in RunID(row[0] as String).map { ($0, row[1] as Int) } }
        }) ?? []
        let due = state.withLock { state -> [@Sendable () -> Void] in
            var due: [@Sendable () -> Void] = []
            for (run, seq) in latest {
                guard let watchers = state.runs[run] else { continue }
                for index in watchers.indices where watchers[index].lastSeen < seq {
                    state.runs[run]![index].lastSeen = seq
                    due.append(watchers[index].sent)
                }
            }
            return due
        }
        for sent in due { sent() }
    }
}
