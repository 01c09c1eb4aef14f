import Cairn
import CairnTesting
import Foundation
import Testing

@Suite("Payload limits", .hangGuard)
struct PayloadLimitTests {
    struct Big: Codable, Sendable {
        var sku: String
        var cycles = 1
    }

    struct Blob: Event {
        static let eventName = "test.blob"
        var text: String
    }

    static let small = EngineConfiguration(payloadLimit: PayloadLimit(bytes: 4096))

    @Test("an input over the limit is refused with invalid-input naming its largest field and the limit; nothing is journaled")
    func inputOverLimit() async throws {
        let journal = InMemoryJournal()
        let workflow = TestWorkflow(Big.self, Int.self) {
            FunctionStep("echo") { (start: StartEvent<Big>, _) -> StopEvent<Int>? in StopEvent(start.input.cycles) }
        }
        let engine = Engine(journal: journal, configuration: Self.small)
        await #expect {
            _ = try await engine.start(workflow, input: Big(sku: String(repeating: "x", count: 5000)))
        } throws: { error in
            let error = error as? CairnError
            return error?.code == .invalidInput && error?.message.contains("its field 'sku' alone is 4.9 KiB") == true
                && error?.message.contains("over the payload limit of 4.0 KiB") == true
        }
        #expect(try await journal.runs(RunQuery()).total == 0)
        // Under the limit, the same workflow runs.
        #expect(try await engine.run(workflow, input: Big(sku: "Apple", cycles: 3)) == 3)
    }

    @Test("an event over the limit fails its step with a sentence naming the event; it is never journaled")
    func eventOverLimit() async throws {
        let journal = InMemoryJournal()
        let workflow = TestWorkflow(Int.self, Int.self) {
            FunctionStep("produce", retry: RetryPolicy(maxAttempts: 1)) { (start: StartEvent<Int>, _) -> Blob? in
                Blob(text: String(repeating: "y", count: start.input))
            }
            FunctionStep("consume") { (blob: Blob, _) -> StopEvent<Int>? in StopEvent(blob.text.count) }
        }
        let engine = Engine(journal: journal, configuration: Self.small)
        #expect(try await engine.run(workflow, input: 100) == 100)
        let handle = try await engine.start(workflow, input: 10_000)
        await #expect {
            _ = try await handle.result
        } throws: { error in
            (error as? RunError)?.message.contains("event 'test.blob' returned by step 'produce' is 9.8 KiB (its field 'text' alone is 9.8 KiB), over the payload limit of 4.0 KiB") == true
        }
        let records = try await journal.records(for: handle.runID)
        #expect(!records.contains { if case .executionFinished(let finish) = $0 { finish.emitted.contains { $0.name == Blob.eventName } } else { false } })
    }
}
