import Cairn
import CairnTesting
import Foundation
import Testing

/// `context.continueAsNew(input)`: a run ends `continued` and its successor starts in the same append, with a
/// derived id, linked both ways; the engine drives the chain to its end.
@Suite("Continue as new", .hangGuard)
struct ContinueAsNewTests {
    struct Tick: Event {
        static let eventName = "test.tick"
        var n: Int
    }

    /// Counts from its input to `last`, one step per number, continuing as a new run every `every` numbers.
    static func counter(last: Int, every: Int) -> TestWorkflow<Int, Int> {
        TestWorkflow(Int.self, Int.self) {
            FunctionStep("begin") { (start: StartEvent<Int>, context) -> Tick? in Tick(n: start.input) }
            FunctionStep("count") { (tick: Tick, context) -> OneOf2<Tick, StopEvent<Int>>? in
                if tick.n >= last { return .second(StopEvent(tick.n)) }
                if (tick.n + 1) % every == 0 {
                    try context.continueAsNew(tick.n + 1)
                    return nil
                }
                return .first(Tick(n: tick.n + 1))
            }
        }
    }

    @Test("a counter continued every 4 numbers ends in its fourth run; each run ends continued, linked both ways, in one append")
    func chainRunsToTheEnd() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal)
        let handle = try await engine.start(Self.counter(last: 13, every: 4), input: 0, options: RunOptions(seed: 9))
        #expect(try await handle.result == 13)
        let last = await handle.lastRunID
        var chain = [handle.runID]
        while chain.count < 10, case .runFinished(let end)? = try await journal.records(for: chain.last!).last, end.status == .continued {
            let successor = try #require(end.successor)
            #expect(successor.runID == RunID.successor(of: chain.last!), "the successor's id is derived from its predecessor's")
            #expect(successor.continuedFrom == chain.last && successor.seed == 9)
            chain.append(successor.runID)
        }
        #expect(chain.count == 4 && chain.last == last)
        let inputs = try await chain.asyncMap { id -> Int in
            guard case .runStarted(let started)? = try await journal.records(for: id).first else { return -1 }
            return RunSummary.member("input", of: started.start.payload).intValue ?? -1
        }
        #expect(inputs == [0, 4, 8, 12])
        let summaries = try await chain.asyncMap { try await journal.summary(of: $0) }
        #expect(summaries.map { $0?.status } == [.continued, .continued, .continued, .completed])
        #expect(summaries[1]?.continuedFrom == chain[0] && summaries[1]?.continuedAs == chain[2])
        // The progress of the whole chain, in order, through the first run's handle.
        #expect(await handle.status == .completed)
    }

    @Test("the handle's event stream follows the chain into each successor")
    func eventsFollowTheChain() async throws {
        let engine = Engine()
        let workflow = TestWorkflow(Int.self, Int.self) {
            FunctionStep("step") { (start: StartEvent<Int>, context) -> StopEvent<Int>? in
                try context.writeToStream(Tick(n: start.input))
                if start.input < 3 {
                    try context.continueAsNew(start.input + 1)
                    return nil
                }
                return StopEvent(start.input)
            }
        }
        let handle = try await engine.start(workflow, input: 0)
        var seen: [String] = []
        for try await event in handle.events { seen.append(String(decoding: event.payload, as: UTF8.self)) }
        #expect(seen == [#"{"n":0}"#, #"{"n":1}"#, #"{"n":2}"#, #"{"n":3}"#])
        #expect(try await handle.result == 3)
    }

    @Test("a run cancelled while the continuing step runs is cancelled: no successor starts")
    func cancelWins() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal)
        let entered = Gate(), release = Gate()
        let workflow = TestWorkflow(Int.self, Int.self) {
            FunctionStep("step") { (start: StartEvent<Int>, context) -> StopEvent<Int>? in
                entered.open()
                await release.wait()
                try? context.continueAsNew(start.input + 1)
                return nil
            }
        }
        let handle = try await engine.start(workflow, input: 0)
        await entered.wait()
        handle.cancel()
        #expect(await handle.status == .cancelled)
        release.open()
        #expect(try await !journal.contains(RunID.successor(of: handle.runID)))
        #expect(await handle.lastRunID == handle.runID)
    }

    @Test("continuing with a value that is not the workflow's input fails the step with a sentence, and twice in one step is refused")
    func wrongInputRefused() async throws {
        let engine = Engine()
        let wrong = TestWorkflow(Int.self, Int.self) {
            FunctionStep("step") { (start: StartEvent<Int>, context) -> StopEvent<Int>? in
                try context.continueAsNew("not a number")
                return nil
            }
        }
        await #expect(throws: RunError.self) { try await engine.run(wrong, input: 0) }
        let handle = try await engine.start(wrong, input: 0)
        _ = try? await handle.result
        #expect(await handle.status == .failed)
        let twice = TestWorkflow(Int.self, Int.self) {
            FunctionStep("step") { (start: StartEvent<Int>, context) -> StopEvent<Int>? in
                try context.continueAsNew(1)
                try context.continueAsNew(2)
                return nil
            }
        }
        do {
            _ = try await engine.run(twice, input: 0)
            Issue.record("a second continueAsNew was accepted")
        } catch let error as RunError {
            #expect(error.message.contains("continued the run twice"), "\(error.message)")
        }
    }

    @Test("replaying a run that continued re-executes its steps and matches; a successor's id never collides with its predecessor's")
    func replayMatches() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal)
        let workflow = Self.counter(last: 6, every: 3)
        let handle = try await engine.start(workflow, input: 0)
        #expect(try await handle.result == 6)
        let report = try await engine.replayCheck(workflow, run: handle.runID)
        #expect(report.divergence == nil && report.matchedExecutions > 0)
        #expect(RunID.successor(of: handle.runID) != handle.runID)
        #expect(RunID.successor(of: handle.runID) == RunID.successor(of: handle.runID))
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var mapped: [T] = []
        for element in self { mapped.append(try await transform(element)) }
        return mapped
    }
}

extension JSONValue {
    var intValue: Int? {
        switch self {
        case .integer(let number): Int(number)
        case .number(let number): Int(number)
        default: nil
        }
    }
}
