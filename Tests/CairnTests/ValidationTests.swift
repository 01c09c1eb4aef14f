import Cairn
import CairnInventory
import Testing

struct Orphan: Event {
    static let eventName = "test.orphan"
}

struct Box<T: Codable & Sendable>: Event {
    var value: T
}

@Suite("Validation and drawing")
struct ValidationTests {
    @Test("the shipped workflows are valid")
    func shippedWorkflowsAreValid() throws {
        try HelloWorkflow().graph.validate()
        try FeedbackMonitor().graph.validate()
        try ComplexFeedbackMonitor().graph.validate()
    }

    @Test("every problem is reported at once, each naming its step and event type")
    func everyProblemAtOnce() {
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("a", workers: 0) { (tick: Tick, context) -> Orphan? in nil }
            FunctionStep("a") { (tick: Tick, context) -> StopEvent<String>? in nil }
            FunctionStep("c") { (start: StartEvent<String>, context) -> Box<Int>? in nil }
        }
        let problems = workflow.graph.problems
        let expected = [
            "two steps are named 'a'",
            "step 'a' has 0 workers",
            "no step consumes 'cairn.start'",
            "step 'c' consumes Cairn.StartEvent<Swift.String> but the workflow starts with Cairn.StartEvent<Swift.Int>",
            "step 'a' emits Cairn.StopEvent<Swift.String> but the workflow's result is Cairn.StopEvent<Swift.Array<Swift.Int>>",
            "step 'a' emits 'test.orphan' but no step consumes it",
            "step 'a' consumes 'test.tick' but no step emits it",
            "is generic and has no explicit eventName (used by step 'c')",
        ]
        for fragment in expected {
            #expect(problems.contains { $0.contains(fragment) }, "missing: \(fragment)\nin: \(problems)")
        }
        #expect(throws: WorkflowValidationError.self) { try workflow.graph.validate() }
    }

    @Test("a workflow whose stop cannot be reached is refused")
    func unreachableStop() {
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("loop") { (event: OneOf2<StartEvent<Int>, Tick>, context) -> Tick? in Tick(n: 1) }
            JoinStep("never", Tick.self, Tock.self) { (context, tick, tock) -> StopEvent<[Int]>? in nil }
            FunctionStep("tocker") { (done: Done, context) -> OneOf2<Tock, Done>? in nil }
        }
        #expect(workflow.graph.problems.contains { $0.contains("no step can reach 'cairn.stop'") })
    }

    @Test("the stop out of reach is reported alongside other problems, not only when nothing else is wrong")
    func unreachableStopWithOtherProblems() {
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("start", workers: 0) { (start: StartEvent<Int>, context) -> Tick? in nil }
            FunctionStep("tick") { (tick: Tick, context) -> Tick? in nil }
        }
        let problems = workflow.graph.problems
        #expect(problems.contains { $0.contains("has 0 workers") })
        #expect(problems.contains { $0.contains("no step can reach 'cairn.stop'") })
    }

    @Test("an island, an exit-less cycle, a step consuming the stop event and an empty join are each refused by name")
    func flowProblems() {
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("begin") { (start: StartEvent<Int>, context) -> OneOf2<StopEvent<[Int]>, Tick>? in nil }
            FunctionStep("spin") { (tick: Tick, context) -> Tick? in nil }  // an exit-less cycle
            FunctionStep("island") { (tock: Tock, context) -> Tock? in nil }  // X -> X, never started
            FunctionStep("after") { (stop: StopEvent<[Int]>, context) -> Done? in nil }
            FunctionStep("done") { (done: Done, context) -> StopEvent<[Int]>? in nil }
            JoinStep("empty") { (context) -> StopEvent<[Int]>? in nil }
        }
        let problems = workflow.graph.problems
        let expected = [
            "step 'spin' is a dead end: nothing it emits ('test.tick') can lead to 'cairn.stop'",
            "step 'island' can never run: no path from 'cairn.start' emits any of 'test.tock'",
            "step 'after' consumes 'cairn.stop'",
            "join 'empty' waits for no event types",
        ]
        for fragment in expected {
            #expect(problems.contains { $0.contains(fragment) }, "missing: \(fragment)\nin: \(problems)")
        }
        #expect(!problems.contains { $0.contains("'begin'") }, "\(problems)")
    }

    @Test("a step that emits nothing (NoEvent) is a sink that ends its path, not a dead end")
    func sinkIsValid() throws {
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("begin") { (start: StartEvent<Int>, context) -> OneOf2<StopEvent<[Int]>, Tick>? in nil }
            FunctionStep("relay") { (tick: Tick, context) -> Tock? in nil }
            FunctionStep("log") { (tock: Tock, context) -> NoEvent? in nil }
        }
        try workflow.graph.validate()
    }

    @Test("two event types with one name are refused")
    func duplicateEventNames() {
        struct Twin: Event { static let eventName = "test.tick" }
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("a") { (start: StartEvent<Int>, context) -> OneOf2<Tick, Twin>? in nil }
            FunctionStep("b") { (event: OneOf2<Tick, Twin>, context) -> StopEvent<[Int]>? in nil }
        }
        #expect(workflow.graph.problems.contains { $0.contains("share the name 'test.tick'") })
    }

    @Test("starting an invalid workflow throws before anything is journaled")
    func invalidWorkflowDoesNotStart() async throws {
        let journal = InMemoryJournal()
        let workflow = TestWorkflow(Int.self, [Int].self) {
            FunctionStep("a") { (tick: Tick, context) -> StopEvent<[Int]>? in nil }
        }
        await #expect(throws: WorkflowValidationError.self) { _ = try await Engine(journal: journal).start(workflow, input: 0) }
        #expect(journal.runIDs.isEmpty)
    }

    @Test("the fingerprint follows the workflow's shape, not its closures")
    func fingerprint() {
        #expect(FeedbackMonitor().graph.fingerprint == FeedbackMonitor().graph.fingerprint)
        #expect(FeedbackMonitor().graph.fingerprint != ComplexFeedbackMonitor().graph.fingerprint)
        #expect(FeedbackMonitor().graph.fingerprint.count == 16)
    }

    @Test("drawing shows every possible flow of the complex monitor in Mermaid and DOT")
    func drawing() {
        let graph = ComplexFeedbackMonitor().graph
        let mermaid = graph.mermaid
        #expect(mermaid.hasPrefix("flowchart TD\n"))
        #expect(mermaid.contains("event_cairn_start([\"cairn.start\"])"))
        #expect(mermaid.contains("step_begin --> event_inventory_online"))
        #expect(mermaid.contains("event_inventory_online_feedback --> step_trading_decision"))
        #expect(mermaid.contains("step_trading_decision[\"join: trading_decision\"]"))
        #expect(mermaid.contains("step_begin --> event_cairn_stop"))
        let dot = graph.dot
        #expect(dot.hasPrefix("digraph \"complex-feedback-monitor\" {"))
        #expect(dot.contains("step_trade -> event_inventory_loop;"))
        #expect(dot.contains("event_inventory_loop -> step_begin;"))
    }

    @Test("every upcoming feature of the manifest is spelt right and on")
    func upcomingFeatures() {
        #if hasFeature(NonisolatedNonsendingByDefault) && hasFeature(ExistentialAny) && hasFeature(MemberImportVisibility) && hasFeature(InternalImportsByDefault)
        let on = true
        #else
        let on = false
        #endif
        #expect(on)
    }
}
