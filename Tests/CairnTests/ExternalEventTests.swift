import Cairn
import CairnTesting
import Foundation
import Testing

/// Events sent to a run from outside (`Engine.send`): the inbox, the `waiting` status, idempotency keys and
/// the refusals of contract 11.
@Suite("External events", .hangGuard)
struct ExternalEventTests {
    struct Approval: Event {
        static let eventName = "test.approval"
        var approved: Bool
        var by: String
    }

    struct Note: Event {
        static let eventName = "test.note"
        var text: String
    }

    /// Asks for approval of its input, then ends with who approved or rejected it.
    static let approval = TestWorkflow(Int.self, String.self, accepting: [Approval.self, Note.self]) {
        FunctionStep("ask") { (start: StartEvent<Int>, context) -> NoEvent? in nil }
        FunctionStep("decide") { (answer: Approval, context) -> StopEvent<String>? in
            StopEvent((answer.approved ? "approved by " : "rejected by ") + answer.by)
        }
    }

    @Test("a run with a step subscribed to an accepted event waits for it, journaled, and goes on when it is sent")
    func waitsThenGoesOn() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal)
        let handle = try await engine.start(Self.approval, input: 120)
        try await awaitRecord(of: handle.runID, in: journal) { $0.isWaiting }
        #expect(try await journal.summary(of: handle.runID)?.status == .waiting)
        guard case .runWaiting(let waiting)? = try await journal.records(for: handle.runID).last else { return }
        #expect(waiting.reasons == ["events sent to it ('test.approval')"])

        let receipt = try await engine.send(Approval(approved: true, by: "ada"), to: handle.runID)
        #expect(receipt == InboxReceipt(runId: handle.runID, inboxSeq: 1, duplicate: false))
        #expect(try await handle.result == "approved by ada")
        let received = try await journal.records(for: handle.runID).compactMap { record -> EventsReceived? in
            if case .eventsReceived(let received) = record { return received }
            return nil
        }
        #expect(received.count == 1)
        #expect(received.first?.events.map(\.name) == ["test.approval"] && received.first?.events.first?.inboxSeq == 1)
        #expect(try await journal.summary(of: handle.runID)?.status == .completed)
    }

    @Test("a second send with the same key delivers nothing and returns the first send's inbox seq")
    func idempotencyKey() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal)
        let handle = try await engine.start(Self.approval, input: 1)
        let first = try await engine.send(Note(text: "first"), to: handle.runID, key: "k1")
        let again = try await engine.send(Note(text: "other text, same key"), to: handle.runID, key: "k1")
        #expect(first.inboxSeq == 1 && !first.duplicate)
        #expect(again.inboxSeq == 1 && again.duplicate)
        #expect(try await journal.inbox(of: handle.runID, after: 0).count == 1)
        try await engine.send(Approval(approved: false, by: "bo"), to: handle.runID, key: "k2")
        #expect(try await handle.result == "rejected by bo")
        let events = try await journal.records(for: handle.runID).flatMap(\.events).filter { $0.inboxSeq != nil }
        #expect(events.map(\.name) == ["test.note", "test.approval"])
        #expect(events.map(\.inboxSeq) == [1, 2])
    }

    @Test("sends are refused with a sentence, nothing written: an unknown run, a name the run does not accept, a run that ended")
    func refusals() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal)
        let unknown = RunID()
        await #expect { try await engine.send(Note(text: "x"), to: unknown) } throws: { error in
            (error as? CairnError)?.code == .runNotFound
        }
        let handle = try await engine.start(Self.approval, input: 1)
        struct Other: Event { static let eventName = "test.other" }
        await #expect { try await engine.send(Other(), to: handle.runID) } throws: { error in
            guard let error = error as? CairnError else { return false }
            return error.code == .invalidInput && error.message.contains("does not accept 'test.other'")
                && error.message.contains("it accepts 'test.approval', 'test.note'")
        }
        try await engine.send(Approval(approved: true, by: "cy"), to: handle.runID)
        _ = try await handle.result
        await #expect { try await engine.send(Note(text: "late"), to: handle.runID) } throws: { error in
            guard let error = error as? CairnError else { return false }
            return error.code == .runEnded && error.message.contains("has ended completed")
        }
        #expect(try await journal.inbox(of: handle.runID, after: 0).count == 1)
    }

    @Test("an event sent while nobody drives the run is journaled by the process that resumes it")
    func sentWhileInterrupted() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal)
        let handle = try await engine.start(Self.approval, input: 1)
        try await awaitRecord(of: handle.runID, in: journal) { $0.isWaiting }
        handle.interrupt()
        await #expect(throws: CairnError.self) { try await handle.result }
        try await engine.send(Approval(approved: true, by: "di"), to: handle.runID)
        let resumed = try await Engine(journal: journal).resume(Self.approval, run: handle.runID)
        #expect(try await resumed.result == "approved by di")
    }

    @Test("an entry whose payload does not decode is journaled as refused, and the run goes on with the next")
    func undecodablePayloadIsRefused() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal)
        let handle = try await engine.start(Self.approval, input: 1)
        try await engine.send(InboxMessage(name: "test.approval", payload: Data(#"{"approved": "yes"}"#.utf8)), to: handle.runID)
        try await engine.send(Approval(approved: true, by: "ed"), to: handle.runID)
        #expect(try await handle.result == "approved by ed")
        let refused = try await journal.records(for: handle.runID).flatMap { record -> [EventsReceived.Refused] in
            if case .eventsReceived(let received) = record { return received.refused }
            return []
        }
        #expect(refused.map(\.inboxSeq) == [1])
        #expect(refused.first?.reason.contains("does not decode") == true)
    }

    @Test("an accepted event counts as produced for validation, and is an entry point of the drawing")
    func validationAndDrawing() throws {
        try Self.approval.graph.validate()
        #expect(Self.approval.graph.mermaid.contains("test.approval (external)"))
        #expect(Self.approval.graph.shape.hasSuffix("\naccepts(test.approval,test.note)"))
        let plain = TestWorkflow(Int.self, String.self) {
            FunctionStep("only") { (start: StartEvent<Int>, context) -> StopEvent<String>? in StopEvent("x") }
        }
        #expect(!plain.graph.shape.contains("accepts"), "a workflow that accepts nothing keeps its fingerprint")
    }

    @Test("a run started by code that accepted fewer events resumes under code that accepts more (keeping what it accepted); not the other way round")
    func acceptingMoreIsCompatible() async throws {
        func workflow(accepting: [any Event.Type]) -> TestWorkflow<Int, String> {
            TestWorkflow(Int.self, String.self, accepting: accepting) {
                FunctionStep("ask") { (start: StartEvent<Int>, context) -> NoEvent? in nil }
                FunctionStep("decide") { (answer: Approval, context) -> StopEvent<String>? in StopEvent(answer.by) }
            }
        }
        let journal = InMemoryJournal()
        let older = try await Engine(journal: journal).start(workflow(accepting: [Approval.self]), input: 1)
        try await awaitRecord(of: older.runID, in: journal) { $0.isWaiting }
        older.interrupt()
        _ = try? await older.result
        let engine = Engine(journal: journal)
        let resumed = try await engine.resume(workflow(accepting: [Approval.self, Note.self]), run: older.runID)
        // What a run accepts was journaled with its start: a run keeps it under newer code.
        await #expect(throws: CairnError.self) { try await engine.send(Note(text: "not accepted by this run"), to: older.runID) }
        try await engine.send(Approval(approved: true, by: "fa"), to: older.runID)
        #expect(try await resumed.result == "fa")

        let newer = try await Engine(journal: journal).start(workflow(accepting: [Approval.self, Note.self]), input: 2)
        try await awaitRecord(of: newer.runID, in: journal) { $0.isWaiting }
        newer.interrupt()
        _ = try? await newer.result
        await #expect { _ = try await Engine(journal: journal).resume(workflow(accepting: [Approval.self]), run: newer.runID) } throws: { error in
            (error as? CairnError)?.code == .fingerprintMismatch
        }
    }
}
