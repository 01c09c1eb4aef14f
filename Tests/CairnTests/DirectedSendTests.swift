import Cairn
import CairnTesting
import Foundation
import Testing

/// `context.send(_:to:)`, LlamaIndex's `send_event(ev, step=…)`: an event for one step, not every subscriber.
@Suite("Directed sends", .hangGuard)
struct DirectedSendTests {
    struct Query: Event {
        static let eventName = "test.query"
        var sku: String
    }

    struct Answer: Event {
        static let eventName = "test.answer"
        var source: String
    }

    /// The article's monitor asks its sources for feedback; `dispatch` asks only the source named in the input.
    static func monitor(calls: Calls, target: String) -> TestWorkflow<String, String> {
        TestWorkflow(String.self, String.self) {
            FunctionStep("dispatch") { (start: StartEvent<String>, context) -> Query? in
                try context.send(Query(sku: start.input), to: target)
                return nil
            }
            FunctionStep("online") { (query: Query, context) -> Answer? in
                calls.record("online")
                return Answer(source: "online")
            }
            FunctionStep("offline") { (query: Query, context) -> Answer? in
                calls.record("offline")
                return Answer(source: "offline")
            }
            FunctionStep("decide") { (answer: Answer, context) -> StopEvent<String>? in StopEvent("asked \(answer.source)") }
        }
    }

    @Test("a directed event reaches its step alone; the journal names the target; replay checks it")
    func reachesOneStep() async throws {
        let calls = Calls()
        let engine = Engine()
        let handle = try await engine.start(Self.monitor(calls: calls, target: "offline"), input: "Apple")
        #expect(try await handle.result == "asked offline")
        #expect(calls.count("online") == 0 && calls.count("offline") == 1)
        let query = try #require(try await engine.journal.records(for: handle.runID).events.first { $0.name == Query.eventName })
        #expect(query.target == "offline")
        #expect(try await engine.replayCheck(Self.monitor(calls: calls, target: "offline"), run: handle.runID).divergence == nil)
        let redirected = try await engine.replayCheck(Self.monitor(calls: calls, target: "online"), run: handle.runID)
        #expect(redirected.divergence?.expected.hasPrefix("test.query to 'offline'") == true
            && redirected.divergence?.got.hasPrefix("test.query to 'online'") == true, "\(String(describing: redirected.divergence))")
    }

    @Test("a send to a step that does not consume the type fails the step, naming the steps that do")
    func wrongTarget() async throws {
        let calls = Calls()
        let handle = try await Engine().start(Self.monitor(calls: calls, target: "decide"), input: "Apple")
        await #expect { _ = try await handle.result } throws: { error in
            "\(error)".contains("sent 'test.query' to step 'decide', which does not consume it: send it to 'online' or 'offline'")
        }
        #expect(calls.count("online") == 0 && calls.count("offline") == 0)
    }

    @Test("a directed event survives a crash: rebuilt from the journal, it still reaches its step alone")
    func survivesResume() async throws {
        let calls = Calls()
        let dying = FaultInjectingJournal(failAfter: 3)  // start, dispatch's start, its commit with the Query and offline's start
        let workflow = Self.monitor(calls: calls, target: "offline")
        let first = try await Engine(journal: dying).start(workflow, input: "Fig")
        _ = try? await first.result
        let resumed = try await Engine(journal: dying.base).resume(workflow, run: first.runID)
        #expect(try await resumed.result == "asked offline")
        #expect(calls.count("online") == 0)
    }
}
