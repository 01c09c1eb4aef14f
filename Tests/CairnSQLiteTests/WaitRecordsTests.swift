import Cairn
import CairnSQLite
import CairnTesting
import Foundation
import Testing

/// The records of runs that wait — events received and refused, waits opened and answered, timers fired,
/// delayed events — written as SQLite rows and read back as the same records: a run rebuilt from them (and
/// from its snapshots) is the run that was driven.
@Suite("Waiting runs in SQLite", .hangGuard)
struct WaitRecordsTests {
    struct Approval: Event {
        static let eventName = "test.approval"
        var by: String
    }

    struct Reminder: Event {
        static let eventName = "test.reminder"
        var n: Int
    }

    struct Flow: Workflow {
        typealias Input = Int
        typealias Output = String
        static let name = "wait-records"
        var accepts: [any Event.Type] { [Approval.self] }

        var steps: [AnyStep] {
            FunctionStep("ask") { (start: StartEvent<Int>, context) -> Reminder? in
                let first = try await context.waitFor(Approval.self, where: { $0.by != "nobody" })
                let second = try await context.waitFor(Approval.self)  // takes the event the first one left
                do {
                    _ = try await context.waitFor(Approval.self, timeout: .seconds(30))
                } catch is WaitTimedOut {}
                try context.send(Reminder(n: first.by.count + second.by.count), after: .seconds(10))
                return nil
            }
            FunctionStep("remind") { (reminder: Reminder, context) -> StopEvent<String>? in StopEvent("reminded \(reminder.n)") }
        }
    }

    @Test("every new record reads back as written: the run rebuilds, its snapshots agree with its log, its summary and timeline say it")
    func roundTrip() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("waits.sqlite")
        let journal = try SQLiteJournal(path: path)
        defer { journal.close() }
        let clock = ManualClock()
        let engine = Engine(journal: journal, configuration: EngineConfiguration(snapshotEvery: 1), clock: clock)
        let handle = try await engine.start(Flow(), input: 1)
        try await awaitRecord(of: handle.runID, in: journal) { $0.isWaiting }
        #expect(try await journal.summary(of: handle.runID)?.status == .waiting)
        try await engine.send(InboxMessage(name: "test.approval", payload: Data(#"{"by": 7}"#.utf8)), to: handle.runID)  // refused
        try await engine.send(Approval(by: "nobody"), to: handle.runID)  // kept: the wait does not take it
        try await engine.send(Approval(by: "ada"), to: handle.runID)
        try await awaitRecord(of: handle.runID, in: journal) { record in
            if case .runWaiting(let waiting) = record { waiting.wakeAt != nil } else { false }
        }
        #expect(try await journal.summary(of: handle.runID)?.wakeAt == clock.now.addingTimeInterval(30))
        clock.advance(by: 30)
        try await awaitRecord(of: handle.runID, in: journal) { record in
            if case .runWaiting(let waiting) = record { waiting.reasons.contains { $0.contains("delayed event") } } else { false }
        }
        clock.advance(by: 10)
        #expect(try await handle.result == "reminded 9")

        let records = try await journal.records(for: handle.runID)
        #expect(await Engine.rebuildProblem(of: handle.runID, graph: Flow().graph, in: journal) == nil)
        #expect(try await journal.latestSnapshot(of: handle.runID) != nil)
        #expect(await Engine.snapshotProblem(of: handle.runID, graph: Flow().graph, in: journal) == nil)
        let kinds = Set(records.map(\.kindName))
        for kind in ["eventsReceived", "waitOpened", "waitAnswered", "timersFired", "runWaiting"] {
            #expect(kinds.contains(kind), "no \(kind) in \(kinds.sorted())")
        }
        let refused = records.flatMap { record -> [EventsReceived.Refused] in
            if case .eventsReceived(let received) = record { return received.refused }
            return []
        }
        #expect(refused.map(\.inboxSeq) == [1])
        let detail = try #require(try await journal.detail(of: handle.runID))
        #expect(detail.timeline.contains { $0.kind == .wait } && detail.timeline.contains { $0.kind == .due })
    }
}
