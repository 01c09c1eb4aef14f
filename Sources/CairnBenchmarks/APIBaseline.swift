import Cairn
import CairnInventory
import CairnSQLite
import Foundation

/// The library's side of `Scripts/bench-http`: the work the HTTP load does, through the engine in one process on
/// the same kind of journal — runs of `hello` started by concurrent callers, and one monitor run followed by many
/// readers of its event stream.
struct APIBaseline: Encodable {
    /// Starts journaled per second (each start durable when it returns; the runs are driven meanwhile).
    let startsPerSecond: Double
    /// From the monitor's start to the last follower's end of stream.
    let fanOutSeconds: Double
    /// Events the followers read, all told.
    let eventsDelivered: Int
    let peakRSSMiB: Double

    /// `cairn-bench api-baseline STARTS CONCURRENCY FOLLOWERS CYCLES`.
    static func measure(starts: Int, concurrency: Int, followers: Int, cycles: Int) async throws -> APIBaseline {
        let path = Scenario.journalPath()
        let journal = try SQLiteJournal(path: path, extensions: [Inventory.journalExtension])
        defer { journal.close() }
        let engine = Engine(journal: journal, workflows: Inventory.workflows)
        let clock = ContinuousClock()
        let started = clock.now
        let handles = try await withThrowingTaskGroup(of: [RunHandle<String>].self) { group in
            for caller in 0..<concurrency {
                group.addTask {
                    try await (0..<(starts / concurrency)).asyncMap { index in
                        try await engine.start(HelloWorkflow(), input: HelloInput(name: "caller \(caller) run \(index)"))
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let startsPerSecond = Double(handles.count) / (clock.now - started).seconds
        for handle in handles { _ = try await handle.result }

        let fanOutStarted = clock.now
        let run = try await engine.start(FeedbackMonitor(), input: MonitorInput(sku: "Apple", cycles: cycles, delayMs: 0, seed: 7))
        let delivered = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<followers {
                group.addTask { try await run.events(from: 1).reduce(0) { count, _ in count + 1 } }
            }
            return try await group.reduce(0, +)
        }
        _ = try await run.result
        return APIBaseline(startsPerSecond: startsPerSecond, fanOutSeconds: (clock.now - fanOutStarted).seconds,
                           eventsDelivered: delivered, peakRSSMiB: CairnBenchmarks.peakRSSMiB())
    }
}

extension Sequence {
    /// `map`, one element after another, for an async transform.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var mapped: [T] = []
        for element in self { mapped.append(try await transform(element)) }
        return mapped
    }
}
