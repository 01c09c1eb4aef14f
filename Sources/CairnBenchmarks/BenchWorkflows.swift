import Cairn

/// One hop of a chain.
struct Hop: Event {
    static let eventName = "bench.hop"
    var n: Int
}

/// One unit of fanned-out work.
struct Job: Event {
    static let eventName = "bench.job"
    var n: Int
}

/// A finished unit of work.
struct JobDone: Event {
    static let eventName = "bench.job-done"
    var n: Int
}

/// A chain of `input` sequential steps: each hop emits the next until the last stops the run.
struct Chain: Workflow {
    static let name = "bench-chain"
    typealias Input = Int
    typealias Output = Int

    var steps: [AnyStep] {
        FunctionStep("begin") { (start: StartEvent<Int>, context) -> Hop? in Hop(n: start.input) }
        FunctionStep("hop") { (hop: Hop, context) -> OneOf2<Hop, StopEvent<Int>>? in
            hop.n <= 2 ? .second(StopEvent(0)) : .first(Hop(n: hop.n - 1))
        }
    }
}

/// `count` jobs of `delay` simulated I/O each, run by `count` workers, gathered by a counted join.
struct FanOut: Workflow {
    static let name = "bench-fan-out"
    typealias Input = Int
    typealias Output = Int
    let count: Int
    let delay: Duration

    var steps: [AnyStep] {
        FunctionStep("fan") { (start: StartEvent<Int>, context) -> Job? in
            for n in 1...start.input { try context.send(Job(n: n)) }
            return nil
        }
        FunctionStep("work", workers: count) { [delay] (job: Job, context) -> JobDone? in
            try await Task.sleep(for: delay)
            return JobDone(n: job.n)
        }
        CountedJoinStep("gather", count: count, of: JobDone.self) { (done, context) -> StopEvent<Int>? in
            StopEvent(done.count)
        }
    }
}
