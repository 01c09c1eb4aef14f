import Cairn
import CairnCLI
import Foundation

/// Workflows for tests that need a real `cairn` process with something the shipped domain has no shape for.

/// One Tick per item into a one-worker step, then a counted join of every Part: the join's array is the order
/// in which the one-worker step committed its items — what a crash must not change.
struct Fanout: Workflow {
    static let items = 30

    struct Item: Event {
        static let eventName = "fixtures.item"
        var n: Int
    }

    struct Done: Event {
        static let eventName = "fixtures.done"
        var n: Int
    }

    typealias Input = Empty
    typealias Output = [Int]
    static let name = "fanout"

    var steps: [AnyStep] {
        FunctionStep("fan") { (start: StartEvent<Empty>, context) -> Item? in
            for n in 1..<Self.items { try context.send(Item(n: n)) }
            return Item(n: Self.items)
        }
        FunctionStep("one", workers: 1) { (item: Item, context) -> Done? in
            // A side effect waits for its trigger's commit to be durable: every item is a transaction of its own
            // or more, however pipelining would batch them, so the crash tests' chosen commits are reached.
            _ = try await context.run("pace") { item.n }
            try await Task.sleep(for: .milliseconds(10))  // long enough for a kill at a random time to land among the items
            return Done(n: item.n)
        }
        CountedJoinStep("all", count: Self.items, of: Done.self) { (done, context) -> StopEvent<[Int]>? in StopEvent(done.map(\.n)) }
    }
}

/// Waits for approvals sent from outside, counting them, until one says `done`: a run that waits across
/// processes (`cairn send`).
struct Approvals: Workflow {
    struct Approval: Event {
        static let eventName = "fixtures.approval"
        var by: String
        var done: Bool
    }

    struct Count: Event {
        static let eventName = "fixtures.count"
        var by: [String]
    }

    typealias Input = Empty
    typealias Output = [String]
    static let name = "approvals"
    var accepts: [any Event.Type] { [Approval.self] }

    var steps: [AnyStep] {
        FunctionStep("ask") { (start: StartEvent<Empty>, context) -> NoEvent? in nil }
        FunctionStep("tally") { (approval: Approval, context) -> StopEvent<[String]>? in
            let by = (try context.store.get(StoreKey<[String]>("by")) ?? []) + [approval.by]
            try context.store.set(StoreKey<[String]>("by"), by)
            return approval.done ? StopEvent(by) : nil
        }
    }
}

/// Sends itself a reminder `input` milliseconds on and ends with it: a delayed event that may fall due while
/// no process lives.
struct Reminder: Workflow {
    struct Due: Event {
        static let eventName = "fixtures.due"
        var at: Int
    }

    typealias Input = Int
    typealias Output = Int
    static let name = "reminder"

    var steps: [AnyStep] {
        FunctionStep("schedule") { (start: StartEvent<Int>, context) -> Due? in
            try context.send(Due(at: start.input), after: .milliseconds(start.input))
            return nil
        }
        FunctionStep("remind") { (due: Due, context) -> StopEvent<Int>? in StopEvent(due.at) }
    }
}

/// Sends one approval, marked done, to the `approvals` run its input names: a message between runs.
struct Notifier: Workflow {
    typealias Input = String
    typealias Output = String
    static let name = "notifier"

    var steps: [AnyStep] {
        FunctionStep("notify") { (start: StartEvent<String>, context) -> StopEvent<String>? in
            guard let run = RunID(start.input) else { throw CairnError(.invalidInput, "'\(start.input)' is not a run id") }
            try context.send(Approvals.Approval(by: "notifier", done: true), to: run)
            return StopEvent("sent")
        }
    }
}

/// Calls an `approvals` run as its child and ends with the child's result: a parent whose child waits.
struct Caller: Workflow {
    typealias Input = Empty
    typealias Output = [String]
    static let name = "caller"

    var steps: [AnyStep] {
        FunctionStep("call") { (start: StartEvent<Empty>, context) -> StopEvent<[String]>? in
            StopEvent(try await context.call(Approvals(), input: Empty()))
        }
    }
}

await CairnCLI.main(workflows: [
    WorkflowRegistration(Fanout()), WorkflowRegistration(Approvals()), WorkflowRegistration(Reminder()), WorkflowRegistration(Notifier()),
    WorkflowRegistration(Caller()),
])
