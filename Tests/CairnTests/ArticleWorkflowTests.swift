import Cairn
import CairnTesting
import CairnInventory
import Foundation
import Testing

/// A source that answers from a script: per channel, the verdict for each round.
struct ScriptedFeedback: FeedbackSource {
    var verdicts: [FeedbackQuery.Channel: [Sentiment]]
    var calls: Calls = Calls()
    var barrier: Barrier?

    func feedback(for query: FeedbackQuery) async throws -> Sentiment {
        calls.record(query.channel.rawValue)
        await barrier?.arriveAndWait()
        return verdicts[query.channel]![query.round - 1]
    }
}

@Suite("The article's workflows", .hangGuard)
struct ArticleWorkflowTests {
    @Test("hello world runs its two steps in order")
    func helloWorld() async throws {
        let engine = Engine()
        let handle = try await engine.start(HelloWorkflow(), input: HelloInput(name: "Ada"))
        #expect(try await handle.result == "Hello, Ada!")
        let records = try await engine.journal.records(for: handle.runID)
        #expect(records.compactMap(\.startedStep) == ["start", "second_step"])
        #expect(records.events.map(\.name) == ["cairn.start", "hello.second-step", "cairn.stop"])
        #expect(records.events.map(\.seq) == [1, 2, 3])
    }

    @Test("the feedback monitor loops once per cycle, ordering on Good and clearing on Bad")
    func feedbackMonitorLoops() async throws {
        let source = ScriptedFeedback(verdicts: [.customers: [.good, .bad, .good]])
        let journal = InMemoryJournal()
        let handle = try await Engine(journal: journal).start(FeedbackMonitor(source: source), input: MonitorInput(sku: "Apple", cycles: 3, delayMs: 0))
        let report = try await handle.result
        // Each decision's ledger entry was committed with the step that decided it.
        let entries = journal.committedEffects(of: handle.runID)
        #expect(entries.compactMap { ($0.effect as? LedgerEntry)?.decision } == [.order, .clear, .order])
        #expect(entries.map(\.origin.step) == ["order", "clear", "order"])
        #expect(report.sku == "Apple")
        #expect(report.decisions.map(\.decision) == [.good, .bad, .good])
        #expect(report.decisions.map(\.round) == [1, 2, 3])
        #expect(report.orders == 2 && report.clears == 1)
        #expect(source.calls.count("customers") == 3)
    }

    @Test("the feedback monitor's step trace follows begin → get_feedback → order | clear → begin")
    func feedbackMonitorTrace() async throws {
        let engine = Engine()
        let source = ScriptedFeedback(verdicts: [.customers: [.bad, .good]])
        let handle = try await engine.start(FeedbackMonitor(source: source), input: MonitorInput(sku: "Pear", cycles: 2, delayMs: 0))
        _ = try await handle.result
        let steps = try await engine.journal.records(for: handle.runID).compactMap(\.startedStep)
        #expect(steps == ["begin", "get_feedback", "clear", "begin", "get_feedback", "order", "begin"])
    }

    @Test("progress is streamed while the monitor runs, and the result comes after")
    func feedbackMonitorStreamsProgress() async throws {
        let source = ScriptedFeedback(verdicts: [.customers: [.good, .good]])
        let handle = try await Engine().start(FeedbackMonitor(source: source), input: MonitorInput(sku: "Apple", cycles: 2, delayMs: 0))
        var messages: [String] = []
        for try await event in handle.events {
            if let progress = event.decode(ProgressEvent.self) { messages.append(progress.message) }
        }
        #expect(messages == [
            "round 1: begin", "round 1: getting feedback for Apple", "round 1: ordered stock of Apple (feedback Good)",
            "round 2: begin", "round 2: getting feedback for Apple", "round 2: ordered stock of Apple (feedback Good)",
        ])  // and no "round 3: begin" before the stop (the quiet-last-round patch)
        #expect(try await handle.result.orders == 2)
    }

    @Test("the same seed gives the same decisions; the simulated sources are used")
    func seededMonitorIsDeterministic() async throws {
        let input = MonitorInput(sku: "Apple", cycles: 8, delayMs: 0, seed: 42)
        let first = try await Engine().run(FeedbackMonitor(), input: input)
        let second = try await Engine().run(FeedbackMonitor(), input: input)
        #expect(first == second)
        #expect(first.decisions.count == 8)
        var other = input
        other.seed = 7
        let third = try await Engine().run(FeedbackMonitor(), input: other)
        #expect(third.decisions.count == 8)
    }

    @Test("the complex monitor's three sources run concurrently", .hangGuard)
    func complexMonitorSourcesRunConcurrently() async throws {
        // Each source waits at the barrier until all three have started: run one after another, they would never finish.
        let source = ScriptedFeedback(
            verdicts: [.online: [.good], .offline: [.good], .trend: [.bad]], barrier: Barrier(parties: 3))
        let report = try await Engine().run(ComplexFeedbackMonitor(source: source), input: MonitorInput(sku: "Apple", cycles: 1, delayMs: 0))
        #expect(report.decisions == [.init(round: 1, decision: .good, votes: Votes(online: .good, offline: .good, trend: .bad))])
    }

    @Test("the majority vote orders on Good and clears on Bad, one decision per cycle")
    func complexMonitorVotes() async throws {
        let source = ScriptedFeedback(verdicts: [
            .online: [.good, .bad, .bad],
            .offline: [.good, .bad, .good],
            .trend: [.bad, .good, .bad],
        ])
        let engine = Engine()
        let handle = try await engine.start(ComplexFeedbackMonitor(source: source), input: MonitorInput(sku: "Apple", cycles: 3, delayMs: 0))
        let report = try await handle.result
        #expect(report.decisions.map(\.decision) == [.good, .bad, .bad])
        #expect(report.decisions.map(\.votes?.online) == [.good, .bad, .bad])
        let records = try await engine.journal.records(for: handle.runID)
        #expect(records.compactMap(\.startedStep).filter { $0 == "trading_decision" }.count == 3)
        let trades = records.events.filter { $0.name == TradeEvent.eventName }
        #expect(trades.count == 3)
    }

    @Test("an input with an unknown field is refused, naming the field")
    func unknownInputField() throws {
        let json = Data(#"{"sku": "Apple", "cycle": 3}"#.utf8)
        #expect {
            try JSONDecoder().decode(MonitorInput.self, from: json)
        } throws: { error in
            String(describing: error).contains("unknown field 'cycle'")
        }
        let bad = Data(#"{"sku": "Apple", "cycles": -1}"#.utf8)
        #expect {
            try JSONDecoder().decode(MonitorInput.self, from: bad)
        } throws: { error in
            String(describing: error).contains("field 'cycles' must be between 0 (for ever) and 10000")
        }
        let past = Data(#"{"sku": "Apple", "cycles": 3, "firstRound": 4}"#.utf8)
        #expect {
            try JSONDecoder().decode(MonitorInput.self, from: past)
        } throws: { error in
            String(describing: error).contains("field 'firstRound' must be at least 1, and at most cycles unless cycles is 0")
        }
        #expect(try JSONDecoder().decode(HelloInput.self, from: Data("{}".utf8)) == HelloInput())
    }
}
