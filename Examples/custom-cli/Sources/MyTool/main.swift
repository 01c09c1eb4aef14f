import Cairn
import CairnCLI

/// A user's own event and workflow: counts down from the input to zero, one step per number.
struct Tick: Event {
    static let eventName = "countdown.tick"
    var remaining: Int
}

struct Countdown: Workflow {
    typealias Input = Int
    typealias Output = String
    static let name = "countdown"

    var steps: [AnyStep] {
        FunctionStep("start") { (start: StartEvent<Int>, context) -> Tick? in
            Tick(remaining: start.input)
        }
        FunctionStep("tick") { (tick: Tick, context) -> OneOf2<Tick, StopEvent<String>>? in
            try context.writeToStream(Tick(remaining: tick.remaining))
            return tick.remaining <= 0 ? .second(StopEvent("liftoff")) : .first(Tick(remaining: tick.remaining - 1))
        }
    }
}

// `my-tool run countdown --input 3`, `my-tool list`, `my-tool resume --all`, … over ./cairn.sqlite.
await CairnCLI.main(workflows: [WorkflowRegistration(Countdown())])
