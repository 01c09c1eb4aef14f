import Cairn
import CairnTesting
import Foundation
import Testing

/// Durable timers (contract 13): delayed events and sleeps are absolute times in the journal, delivered once,
/// never early, and hold across an interrupt and a resume.
@Suite("Durable timers", .hangGuard)
struct TimerTests {
    struct Reminder: Event {
        static let eventName = "test.reminder"
        var n: Int
    }

    /// Sends itself a reminder a minute on, then ends with it.
    static let reminder = TestWorkflow(Int.self, Int.self) {
        FunctionStep("schedule") { (start: StartEvent<Int>, context) -> Reminder? in
            try context.send(Reminder(n: start.input), after: .seconds(60))
            return nil
        }
        FunctionStep("remind") { (reminder: Reminder, context) -> StopEvent<Int>? in StopEvent(reminder.n * 2) }
    }

    @Test("a delayed event waits, journaled with its due time, and is delivered once when the clock reaches it, never before")
    func delayedEvent() async throws {
        let clock = ManualClock()
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal, clock: clock)
        let start = clock.now
        let handle = try await engine.start(Self.reminder, input: 21)
        try await awaitRecord(of: handle.runID, in: journal) { $0.isWaiting }
        guard case .runWaiting(let waiting)? = try await journal.records(for: handle.runID).last else { return }
        #expect(waiting.wakeAt == start.addingTimeInterval(60))
        #expect(try await journal.summary(of: handle.runID)?.wakeAt == start.addingTimeInterval(60))
        clock.advance(by: 59)
        await clock.waitForSleepers(1)
        #expect(!(try await journal.records(for: handle.runID)).contains { if case .timersFired = $0 { true } else { false } })
        clock.advance(by: 1)
        #expect(try await handle.result == 42)
        let due = try await journal.records(for: handle.runID).compactMap { record -> TimersFired? in
            if case .timersFired(let due) = record { return due }
            return nil
        }
        #expect(due.map(\.events) == [[2]])
        #expect(due.first?.at == start.addingTimeInterval(60))
    }

    @Test("a delayed event that fell due while nobody drove the run is delivered, late and once, by the process that resumes it")
    func dueWhileInterrupted() async throws {
        let clock = ManualClock()
        let journal = InMemoryJournal()
        let handle = try await Engine(journal: journal, clock: clock).start(Self.reminder, input: 5)
        try await awaitRecord(of: handle.runID, in: journal) { $0.isWaiting }
        handle.interrupt()
        await #expect(throws: CairnError.self) { try await handle.result }
        clock.advance(by: 3600)
        let resumed = try await Engine(journal: journal, clock: clock).resume(Self.reminder, run: handle.runID)
        #expect(try await resumed.result == 10)
        let dues = try await journal.records(for: handle.runID).filter { if case .timersFired = $0 { true } else { false } }
        #expect(dues.count == 1)
    }

    @Test("a sleep journals its wake time; the attempt re-run after an interrupt sleeps only what is left")
    func sleepIsDurable() async throws {
        let clock = ManualClock()
        let journal = InMemoryJournal()
        let calls = Calls()
        let workflow = TestWorkflow(Int.self, Int.self) {
            FunctionStep("nap") { (start: StartEvent<Int>, context) -> StopEvent<Int>? in
                calls.record("nap")
                try await context.sleep(for: .seconds(100))
                return StopEvent(start.input)
            }
        }
        let start = clock.now
        let configuration = EngineConfiguration(interruptGrace: .seconds(5))
        let handle = try await Engine(journal: journal, configuration: configuration, clock: clock).start(workflow, input: 7)
        await clock.waitForSleepers(1)
        clock.advance(by: 40)
        handle.interrupt()
        await clock.waitForSleepers(2)  // the sleep, and the end of the interrupt's grace period
        clock.advance(by: 5)
        await #expect(throws: CairnError.self) { try await handle.result }
        let resumed = try await Engine(journal: journal, clock: clock).resume(workflow, run: handle.runID)
        await clock.waitForSleepers(1)
        clock.advance(by: 54)
        #expect(clock.sleeperCount == 1, "still asleep: one second of the hundred is left")
        clock.advance(by: 1)
        #expect(try await resumed.result == 7)
        #expect(calls.count("nap") == 2)
        let effects = try await journal.records(for: handle.runID).compactMap { record -> SideEffect? in
            if case .sideEffect(let effect) = record { return effect }
            return nil
        }
        #expect(effects.map(\.key) == ["cairn.sleep#1"], "the wake time is journaled once, by the first attempt")
        #expect(clock.now == start.addingTimeInterval(100))
    }

    @Test("a delay or sleep that is not positive is refused with a sentence")
    func badDurations() async throws {
        let workflow = TestWorkflow(Int.self, Int.self) {
            FunctionStep("bad") { (start: StartEvent<Int>, context) -> OneOf2<Reminder, StopEvent<Int>>? in
                if start.input == 0 { try await context.sleep(for: .zero) } else { try context.send(Reminder(n: 1), after: .seconds(-1)) }
                return .second(StopEvent(0))
            }
            FunctionStep("remind") { (reminder: Reminder, context) -> StopEvent<Int>? in StopEvent(reminder.n) }
        }
        for input in [0, 1] {
            await #expect { try await Engine().run(workflow, input: input) } throws: { error in
                let message = (error as? RunError)?.message ?? ""
                return message.contains(input == 0 ? "a sleep must be positive" : "a delay must be positive")
            }
        }
    }
}
