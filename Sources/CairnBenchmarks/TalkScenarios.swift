import Cairn
import CairnSQLite
import Foundation

/// A parent that starts `input` children of `Chain` (10 steps each) in one commit and gathers their ends,
/// which come back to it as `ChildRunEnded` events through its inbox.
struct Parent: Workflow {
    static let name = "bench-parent"
    typealias Input = Int
    typealias Output = Int

    var steps: [AnyStep] {
        FunctionStep("spawn") { (start: StartEvent<Int>, context) -> NoEvent? in
            for _ in 0..<start.input { try context.start(Chain(), input: 9) }
            return nil
        }
        CountedJoinStep("gather", count: 100, of: ChildRunEnded<Chain>.self) { (ended, context) -> StopEvent<Int>? in
            StopEvent(ended.count)
        }
    }
}

/// A published unit of work: every `Worker` run starts on one.
struct Work: Event {
    static let eventName = "bench.work"
    var n: Int
}

/// Starts on each published `Work` and ends at once: one step per run.
struct Worker: Subscriber {
    static let name = "bench-worker"
    typealias Input = Work
    typealias Output = Int

    var steps: [AnyStep] {
        FunctionStep("work") { (start: StartEvent<Work>, context) -> StopEvent<Int>? in StopEvent(start.input.n) }
    }
}

/// Publishes `input` `Work` events, a hundred per step.
struct Publisher: Workflow {
    static let name = "bench-publisher"
    typealias Input = Int
    typealias Output = Int

    var steps: [AnyStep] {
        FunctionStep("begin") { (start: StartEvent<Int>, context) -> Hop? in Hop(n: start.input) }
        FunctionStep("publish") { (hop: Hop, context) -> OneOf2<Hop, StopEvent<Int>>? in
            for n in max(0, hop.n - 100)..<hop.n { try context.publish(Work(n: n)) }
            return hop.n <= 100 ? .second(StopEvent(0)) : .first(Hop(n: hop.n - 100))
        }
    }
}

extension Scenario {
    /// Runs that start runs, durable: children and subscribers, each a run of its own started in its parent's commit.
    static let talk: [Scenario] = [
        .measuring("durable-children", summary: "a parent starts 100 children × 10 steps, gathers their ends", steps: 1_002) {
            try await timedOnDisk { journal in
                let children = try await Engine(journal: journal).run(Parent(), input: 100)
                precondition(children == 100)
            }
        },
        .measuring("durable-publish", summary: "1,000 published events, each starts a 1-step run", steps: 1_011) {
            try await timedOnDisk { journal in
                let engine = Engine(journal: journal, workflows: [WorkflowRegistration(Worker()), WorkflowRegistration(Publisher())])
                _ = try await engine.run(Publisher(), input: 1_000)
                let started = await engine.startedRuns()
                for run in started { _ = await run.end() }
                precondition(started.count == 1_000)
            }
        },
    ]
}
