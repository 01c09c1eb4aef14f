import Cairn
import CairnInventory
import CairnTesting
import Foundation
import Testing

/// `cairn export` and `cairn import` as a library: a run's journal carried to another journal, whole.
@Suite("Run archives", .hangGuard)
struct ArchiveTests {
    let votes = ScriptedFeedback(verdicts: [.online: [.good, .bad], .offline: [.good, .bad], .trend: [.bad, .bad]])

    @Test("an exported run imports into another journal record for record, and replays clean there")
    func roundTrip() async throws {
        let production = Engine()
        let monitor = ComplexFeedbackMonitor(source: votes)
        let handle = try await production.start(monitor, input: MonitorInput(sku: "Apple", cycles: 2, delayMs: 0), options: RunOptions(seed: 9))
        _ = try await handle.result
        let archive = try await Engine.export(handle.runID, from: production.journal)
        let document = try archive.encoded()

        let elsewhere = InMemoryJournal()
        try await Engine.importRun(try RunArchive.decode(document), into: elsewhere, graph: monitor.graph)
        let original = try await production.journal.records(for: handle.runID)
        let imported = try await elsewhere.records(for: handle.runID)
        #expect(imported.count == original.count)
        #expect(imported.map(\.events.count) == original.map(\.events.count))
        for (a, b) in zip(original.flatMap(\.events), imported.flatMap(\.events)) {
            #expect(a.seq == b.seq && a.name == b.name && JSONValue(json: a.payload) == JSONValue(json: b.payload))
        }
        #expect(imported.compactMap(\.finishedExecution).map(\.recorded) == original.compactMap(\.finishedExecution).map(\.recorded))
        let report = try await Engine(journal: elsewhere).replayCheck(monitor, run: handle.runID)
        #expect(report.divergence == nil && report.matchedExecutions == 13)
        #expect(votes.calls.count("online") == 2, "neither import nor replay called the feedback sources again")

        await #expect { try await Engine.importRun(archive, into: elsewhere, graph: monitor.graph) } throws: {
            ($0 as? CairnError)?.code == .runExists
        }
    }

    @Test("a run exported before it finished is imported finished (cancelled, code imported): nothing resumes it; a fork goes on")
    func unfinishedRun() async throws {
        let dying = FaultInjectingJournal(failAfter: 4)
        let monitor = ComplexFeedbackMonitor(source: votes)
        let handle = try await Engine(journal: dying).start(monitor, input: MonitorInput(sku: "Apple", cycles: 1, delayMs: 0))
        _ = try? await handle.result
        let archive = try await Engine.export(handle.runID, from: dying.base)
        let elsewhere = InMemoryJournal()
        try await Engine.importRun(archive, into: elsewhere, graph: monitor.graph)
        guard case .runFinished(let end)? = try await elsewhere.records(for: handle.runID).last else {
            Issue.record("the imported run is not closed")
            return
        }
        #expect(end.status == .cancelled && end.error?.code == .imported)
        let engine = Engine(journal: elsewhere)
        await #expect(throws: RunError.self) { _ = try await engine.resume(monitor, run: handle.runID).result }
        #expect(try await elsewhere.records(for: handle.runID).count == archive.records.count + 1, "resume appended nothing")
        let fork = try await engine.fork(monitor, run: handle.runID, at: 1)
        _ = try await fork.handle.result
    }

    @Test("an archive that is not one, or names a step today's code lacks, is refused with a sentence and writes nothing")
    func refused() async throws {
        for (text, phrase) in [("{}", "field 'format' is missing"), (#"{"format": "x", "version": 1, "runId": "\#(RunID())", "workflow": "w", "exportedAt": "2026-01-01T00:00:00.000Z", "records": []}"#, "not a Cairn run archive")] {
            #expect { _ = try RunArchive.decode(Data(text.utf8)) } throws: { "\($0)".contains(phrase) }
        }
        let engine = Engine()
        let handle = try await engine.start(HelloWorkflow(), input: HelloInput(name: "Ada"))
        _ = try await handle.result
        let archive = try await Engine.export(handle.runID, from: engine.journal)
        let other = TestWorkflow(HelloInput.self, String.self) {
            FunctionStep("someone_else") { (start: StartEvent<HelloInput>, context) -> StopEvent<String>? in StopEvent("") }
        }
        let elsewhere = InMemoryJournal()
        await #expect { try await Engine.importRun(archive, into: elsewhere, graph: other.graph) } throws: {
            ($0 as? CairnError)?.code == .invalidInput && "\($0)".contains("does not rebuild as workflow 'test'")
        }
        #expect(try await elsewhere.contains(handle.runID) == false)
    }
}
