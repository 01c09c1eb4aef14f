import Cairn
import CairnSQLite
import Foundation
import Synchronization

/// Goal 6 of the speed issue: how long a run with a long history takes to resume to its first new step, and
/// with how much memory. One process journals the history — rounds of 1,000 events, each round gathered by a
/// counted join — and leaves the run interrupted in its last step; the measured process resumes it.
enum HistoryScenario {
    static let runID = RunID(UUID(uuidString: "00000000-0000-4000-8000-0000000051a7")!)
    static let perRound = 1_000

    struct Noise: Event {
        static let eventName = "bench.noise"
        var round: Int
    }

    struct Again: Event {
        static let eventName = "bench.again"
        var round: Int
    }

    struct Park: Event {
        static let eventName = "bench.park"
    }

    /// `rounds` rounds of 1,000 events, then `park`: held there by the process that journals the history, and
    /// the first new step of the one that resumes it.
    struct History: Workflow {
        static let name = "bench-history"
        typealias Input = Int
        typealias Output = Int
        let park: @Sendable () async throws -> Void

        var steps: [AnyStep] {
            FunctionStep("spray") { (event: OneOf2<StartEvent<Int>, Again>, context) -> Noise? in
                let round: Int
                switch event {
                case .first: round = 1
                case .second(let again): round = again.round
                }
                for _ in 0..<HistoryScenario.perRound { try context.send(Noise(round: round)) }
                return nil
            }
            CountedJoinStep("absorb", count: HistoryScenario.perRound, of: Noise.self) { (noise, context) -> OneOf2<Again, Park>? in
                let rounds = try context.store.get(StoreKey<Int>("rounds")) ?? 0
                return noise[0].round >= rounds ? .second(Park()) : .first(Again(round: noise[0].round + 1))
            }
            FunctionStep("park") { [park] (_: Park, context) -> StopEvent<Int>? in
                try await park()
                return StopEvent(0)
            }
        }
    }

    /// `cairn-bench history-build PATH EVENTS`: journals the history and interrupts the run in `park`.
    static func build(path: String, events: Int) async throws {
        let journal = try SQLiteJournal(path: path)
        let engine = Engine(journal: journal, configuration: EngineConfiguration(interruptGrace: .milliseconds(10)))
        let parked = AsyncStream<Void>.makeStream()
        var store = StoreValues()
        try store.set(StoreKey<Int>("rounds"), max(1, events / perRound))
        let workflow = History(park: {
            parked.continuation.yield()
            try await Task.sleep(for: .seconds(3_600))
        })
        let handle = try await engine.start(workflow, input: 0, options: RunOptions(id: runID), store: store)
        for await _ in parked.stream { break }
        handle.interrupt()
        _ = try? await handle.result
        journal.close()
    }

    /// Resumes the history built at `path`; returns the seconds until its first new step ran.
    static func resume(path: String) async throws -> Double {
        let journal = try SQLiteJournal(path: path)
        let clock = ContinuousClock()
        let start = clock.now
        let reached = Reached()
        let handle = try await Engine(journal: journal).resume(History(park: { reached.mark(clock.now) }), run: runID)
        _ = try await handle.result
        journal.close()
        let elapsed = (reached.at ?? clock.now) - start
        return elapsed.seconds
    }

    /// When the first new step ran.
    final class Reached: Sendable {
        private let instant = Mutex<ContinuousClock.Instant?>(nil)
        func mark(_ now: ContinuousClock.Instant) { instant.withLock { $0 = $0 ?? now } }
        var at: ContinuousClock.Instant? { instant.withLock { $0 } }
    }
}
