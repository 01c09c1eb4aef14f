public import Cairn
import Foundation
public import Testing

extension JournalConformance {
    /// A journal with inboxes to test: a fresh, empty one per call.
    public typealias InboxFactory = @Sendable () async throws -> any InboxJournal & InspectableJournal

    /// The rules of ``InboxJournal``, and the records of runs that wait, for backends that keep inboxes.
    public enum InboxRule: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case sendsReadBackInOrder = "sends are read back from the run's inbox in order; a repeated key returns the first receipt, also once the run ended"
        case refusalsWriteNothing = "a send to an unknown run, to a run that ended, or of a name the run does not accept is refused, writing nothing"
        case waitRecordsRoundTrip = "records of runs that wait read back as written: events received and refused, waits, timers, delayed events"

        public var testDescription: String { rawValue }
    }

    /// Checks one inbox rule against journals made by `make`.
    public static func check(_ rule: InboxRule, _ make: InboxFactory) async throws {
        let journal = try await make()
        switch rule {
        case .sendsReadBackInOrder: try await sendsReadBackInOrder(journal)
        case .refusalsWriteNothing: try await refusalsWriteNothing(journal)
        case .waitRecordsRoundTrip: try await waitRecordsRoundTrip(journal)
        }
    }

    private static func accepting(_ run: RunID, at: Date = Date(timeIntervalSince1970: 1_800_000_000)) -> JournalRecord {
        let start = JournaledEvent(seq: 1, name: "cairn.start", payload: Data(#"{"input":{}}"#.utf8), executionID: nil, value: nil)
        return .runStarted(RunStarted(runID: run, workflow: "waits", fingerprint: "f", shape: "s", version: nil, seed: nil, deadline: nil,
                                      at: at, start: start, accepts: ["t.answer", "t.note"]))
    }

    static func sendsReadBackInOrder(_ journal: any InboxJournal & InspectableJournal) async throws {
        let run = RunID()
        try await journal.append([accepting(run)], for: run)
        let first = try await journal.send(InboxMessage(name: "t.note", payload: Data(#"{"n":1}"#.utf8), key: "k"), to: run)
        let second = try await journal.send(InboxMessage(name: "t.answer", payload: Data(#"{"n":2}"#.utf8)), to: run)
        #expect(first == InboxReceipt(runId: run, inboxSeq: 1, duplicate: false) && second.inboxSeq == 2)
        let entries = try await journal.inbox(of: run, after: 0)
        #expect(entries.map(\.inboxSeq) == [1, 2] && entries.map(\.name) == ["t.note", "t.answer"])
        #expect(entries.map(\.payload) == [Data(#"{"n":1}"#.utf8), Data(#"{"n":2}"#.utf8)])
        #expect(try await journal.inbox(of: run, after: 1).map(\.inboxSeq) == [2])
        try await journal.append([.runFinished(RunFinished(status: .completed, result: nil, error: nil, at: Date()))], for: run)
        let again = try await journal.send(InboxMessage(name: "t.note", payload: Data("{}".utf8), key: "k"), to: run)
        #expect(again == InboxReceipt(runId: run, inboxSeq: 1, duplicate: true))
        #expect(try await journal.inbox(of: run, after: 0).count == 2)
    }

    static func refusalsWriteNothing(_ journal: any InboxJournal & InspectableJournal) async throws {
        func code(_ body: () async throws -> InboxReceipt) async -> CairnError.Code? {
            do {
                _ = try await body()
                return nil
            } catch {
                return (error as? CairnError)?.code
            }
        }
        let run = RunID()
        #expect(await code { try await journal.send(InboxMessage(name: "t.note", payload: Data("{}".utf8)), to: run) } == .runNotFound)
        try await journal.append([accepting(run)], for: run)
        #expect(await code { try await journal.send(InboxMessage(name: "t.other", payload: Data("{}".utf8)), to: run) } == .invalidInput)
        try await journal.append([.runFinished(RunFinished(status: .cancelled, result: nil, error: RunError(.cancelled, "cancelled"), at: Date()))], for: run)
        #expect(await code { try await journal.send(InboxMessage(name: "t.note", payload: Data("{}".utf8)), to: run) } == .runEnded)
        #expect(try await journal.inbox(of: run, after: 0).isEmpty)
    }

    static func waitRecordsRoundTrip(_ journal: any InboxJournal & InspectableJournal) async throws {
        let run = RunID()
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let wait = WaitRef(executionID: 1, key: "wait:t.answer#1")
        let answer = JournaledEvent(seq: 2, name: "t.answer", payload: Data("{}".utf8), executionID: nil, inboxSeq: 1, answers: wait, value: nil)
        let kept = JournaledEvent(seq: 3, name: "t.note", payload: Data("{}".utf8), executionID: nil, inboxSeq: 3, value: nil)
        let delayed = JournaledEvent(seq: 4, name: "t.later", payload: Data("{}".utf8), executionID: 1, deliverAt: at.addingTimeInterval(60), value: nil)
        let written: [JournalRecord] = [
            accepting(run),
            .executionStarted(ExecutionStarted(executionID: 1, step: "ask", attempt: 1, triggers: [1], at: at)),
            .waitOpened(WaitOpened(wait: wait, attempt: 1, name: "t.answer", deadline: at.addingTimeInterval(30), at: at)),
            .runWaiting(RunWaiting(reasons: ["step 'ask' to get 't.answer'"], events: ["t.answer"], wakeAt: at.addingTimeInterval(30), at: at)),
            .eventsReceived(EventsReceived(events: [answer], at: at)),
            .eventsReceived(EventsReceived(events: [kept], refused: [.init(inboxSeq: 2, name: "t.note", reason: "it does not decode")], at: at)),
            .waitAnswered(WaitAnswered(wait: WaitRef(executionID: 1, key: "wait:t.note#1"), seq: 3, at: at)),
            .executionFinished(ExecutionFinished(
                executionID: 1, step: "ask", attempt: 1, triggers: [("cairn.start", 1)], outcome: .completed, emitted: [delayed],
                streamed: [], storeWrites: [], recorded: [], effects: [], startedAt: at, at: at)),
            .timersFired(TimersFired(events: [4], waits: [WaitRef(executionID: 9, key: "wait:t.answer#2")], at: at.addingTimeInterval(60))),
        ]
        try await journal.append([written[0]], for: run)
        try await journal.append(Array(written.dropFirst()), for: run)
        let read = try await journal.records(for: run)
        #expect(read.map(\.kindName) == written.map(\.kindName))
        guard case .runStarted(let started)? = read.first else { throw CairnError(.internalInconsistency, "no start read back") }
        #expect(started.accepts == ["t.answer", "t.note"])
        let events = read.flatMap(\.events)
        #expect(events.map(\.seq) == [1, 2, 3, 4])
        #expect(events.map(\.inboxSeq) == [nil, 1, 3, nil] && events.map(\.answers) == [nil, wait, nil, nil])
        #expect(events.map(\.deliverAt) == [nil, nil, nil, at.addingTimeInterval(60)])
        for record in read {
            switch record {
            case .waitOpened(let opened):
                #expect(opened.wait == wait && opened.attempt == 1 && opened.name == "t.answer" && opened.deadline == at.addingTimeInterval(30))
            case .runWaiting(let waiting):
                #expect(waiting.reasons == ["step 'ask' to get 't.answer'"] && waiting.events == ["t.answer"] && waiting.wakeAt == at.addingTimeInterval(30))
            case .eventsReceived(let received) where !received.refused.isEmpty:
                #expect(received.refused == [.init(inboxSeq: 2, name: "t.note", reason: "it does not decode")])
            case .waitAnswered(let answered):
                #expect(answered.seq == 3 && answered.wait.key == "wait:t.note#1")
            case .timersFired(let fired):
                #expect(fired.events == [4] && fired.waits == [WaitRef(executionID: 9, key: "wait:t.answer#2")])
            default:
                continue
            }
        }
    }
}
