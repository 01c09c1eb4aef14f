import Cairn
import CairnTesting
import Foundation
import Testing

/// Messages between runs (contract 11): `context.send(event, to: run)` writes the event into the other run's
/// inbox in the sender's commit; the receiver's owner journals it like any event sent from outside.
@Suite("Messages between runs", .hangGuard)
struct RunMessageTests {
    struct Approval: Event {
        static let eventName = "test.approval"
        var by: String
    }

    /// Waits for an approval and ends with who gave it.
    static let receiver = TestWorkflow(Int.self, String.self, accepting: [Approval.self]) {
        FunctionStep("ask") { (start: StartEvent<Int>, context) -> NoEvent? in nil }
        FunctionStep("answered") { (approval: Approval, context) -> StopEvent<String>? in StopEvent(approval.by) }
    }

    /// Sends an approval to the run its input names.
    static let sender = TestWorkflow(String.self, String.self) {
        FunctionStep("approve") { (start: StartEvent<String>, context) -> StopEvent<String>? in
            try context.send(Approval(by: "run \(context.runID)"), to: RunID(start.input)!)
            return StopEvent("sent")
        }
    }

    @Test("a message sent by a step reaches the other run once, with the sender's commit, keyed by sender, execution and place")
    func messageReachesTheOtherRun() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal)
        let waiting = try await engine.start(Self.receiver, input: 0)
        try await awaitRecord(of: waiting.runID, in: journal) { $0.isWaiting }
        let sending = try await engine.start(Self.sender, input: waiting.runID.description)
        #expect(try await sending.result == "sent")
        #expect(try await waiting.result == "run \(sending.runID)")
        let inbox = try await journal.inbox(of: waiting.runID, after: 0)
        #expect(inbox.map(\.name) == ["test.approval"])
        let again = try await journal.send(InboxMessage(name: "test.approval", payload: Data("{}".utf8), key: "\(sending.runID)/1/1"), to: waiting.runID)
        #expect(again.duplicate && again.inboxSeq == 1, "the message's key is its sender's run, execution and place")
    }

    @Test("a message to a run that does not exist, or does not accept it, fails the sending attempt with a sentence; nothing is delivered")
    func refusedMessageFailsTheAttempt() async throws {
        let journal = InMemoryJournal()
        let engine = Engine(journal: journal)
        await #expect { try await engine.run(Self.sender, input: RunID().description) } throws: { error in
            ((error as? RunError)?.message ?? "").contains("no run")
        }
        let plain = try await engine.start(TestWorkflow(Int.self, Int.self) {
            FunctionStep("wait") { (start: StartEvent<Int>, context) -> StopEvent<Int>? in
                try await context.sleep(for: .seconds(3600))
                return StopEvent(0)
            }
        }, input: 0)
        await #expect { try await engine.run(Self.sender, input: plain.runID.description) } throws: { error in
            ((error as? RunError)?.message ?? "").contains("does not accept 'test.approval'")
        }
        #expect(try await journal.inbox(of: plain.runID, after: 0).isEmpty)
        plain.cancel()
    }
}
