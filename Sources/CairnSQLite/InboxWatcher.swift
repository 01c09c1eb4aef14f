import Cairn
import Foundation
import GRDB
import Synchronization

/// Notices events other processes send to the runs this process drives (contract 12: no busy polling): it
/// listens to the journal's ``JournalChangeTicker`` while some run is watched, and after each commit asks the
/// inbox, in one indexed query on a connection of its own, which watched run has a row it has not seen.
final class InboxWatcher: Sendable {
    private struct Watched {
        let id: Int
        let sent: @Sendable () -> Void
        var lastSeen = 0
    }

    private struct State {
        var runs: [RunID: [Watched]] = [:]
        var nextID = 0
        /// The ticker's listener, while some run is watched.
        var listener: Int?
        var connection: DatabaseQueue?
    }

    private let path: String
    private let changes: JournalChangeTicker
    private let state = Mutex(State())

    init(path: String, changes: JournalChangeTicker) {
        self.path = path
        self.changes = changes
    }

    func watch(_ run: RunID, sent: @escaping @Sendable () -> Void) -> InboxWatch {
        // The ticker's lock is taken inside this one, never the other way round (it calls listeners unlocked).
        let id = state.withLock { state in
            state.nextID += 1
            state.runs[run, default: []].append(Watched(id: state.nextID, sent: sent))
            if state.listener == nil { state.listener = changes.listen { [weak self] in self?.notifyChanged() } }
            return state.nextID
        }
        return InboxWatch { [weak self] in self?.unwatch(run, id: id) }
    }

    private func unwatch(_ run: RunID, id: Int) {
        let listener = state.withLock { state -> Int? in
            state.runs[run]?.removeAll { $0.id == id }
            if state.runs[run]?.isEmpty == true { state.runs[run] = nil }
            guard state.runs.isEmpty else { return nil }
            defer { state.listener = nil }
            return state.listener
        }
        if let listener { changes.stopListening(listener) }
    }

    /// A read-only connection of the watcher's own, opened at the first change it looks at.
    private func connection() -> DatabaseQueue? {
        state.withLock { state in
            if state.connection == nil {
                var configuration = Configuration()
                configuration.readonly = true
                state.connection = try? DatabaseQueue(path: path, configuration: configuration)
            }
            return state.connection
        }
    }

    /// Calls the watchers of every run whose inbox grew since it was last looked at.
    private func notifyChanged() {
        let runs = state.withLock { Array($0.runs.keys) }
        guard !runs.isEmpty, let connection = connection() else { return }
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
