import Cairn
import CairnInventory
import CairnTesting
import Foundation
import Testing

/// Changing a workflow that has runs in flight: fingerprints and versions compared before anything is rebuilt,
/// on resume and on fork; forks recorded as runs of today's code; `workflowVersion` and `patched`.
@Suite("Versions", .hangGuard)
struct VersioningTests {
    /// s1 → s2 → (third) → stop; the stop reports the run's version and whether patch "p1" applies.
    struct Chain: Workflow {
        typealias Input = Int
        typealias Output = [String]
        static let name = "chain"
        var third = "s3"
        var version: String?
        var compatibleFingerprints: Set<String> = []
        var compatibleVersions: Set<String> = []
        var patches: Set<String> = []

        var steps: [AnyStep] {
            FunctionStep("s1") { (start: StartEvent<Int>, context) -> Tick? in Tick(n: 1) }
            FunctionStep("s2") { (tick: Tick, context) -> Tock? in Tock(n: 2) }
            FunctionStep(third) { (tock: Tock, context) -> StopEvent<[String]>? in
                StopEvent([context.workflowVersion ?? "unversioned", context.patched("p1") ? "patched" : "unpatched"])
            }
        }
    }

    /// A run of `workflow` whose process died after `appends` journal appends (4: the third step started and
    /// never finished), in a journal of its own.
    func interrupted(_ workflow: Chain, afterAppends appends: Int = 4) async throws -> (InMemoryJournal, RunID) {
        let dying = FaultInjectingJournal(failAfter: appends)
        let handle = try await Engine(journal: dying).start(workflow, input: 0)
        _ = try? await handle.result
        return (dying.base, handle.runID)
    }

    func refusal(_ body: () async throws -> Void) async -> CairnError? {
        do {
            try await body()
            return nil
        } catch {
            return error as? CairnError
        }
    }

    @Test("resume under code that lacks a step the journal names is refused naming the change, not as damage; the journal is untouched")
    func resumeNamesWhatChanged() async throws {
        let (journal, run) = try await interrupted(Chain())
        let before = try await journal.records(for: run).count
        #expect(try await journal.records(for: run).contains { $0.startedStep == "s3" })
        let error = await refusal { _ = try await Engine(journal: journal).resume(Chain(third: "s3b"), run: run) }
        #expect(error?.code == .fingerprintMismatch)
        #expect(error?.message.contains("step 's3' was renamed 's3b'") == true, "\(String(describing: error))")
        #expect(error?.message.contains("compatibleFingerprints") == true)
        #expect(try await journal.records(for: run).count == before)  // no dead letter, no resume record
        let resumed = try await Engine(journal: journal).resume(Chain(), run: run)
        #expect(try await resumed.result == ["unversioned", "unpatched"])
    }

    @Test("a removed step and a changed subscription are each named")
    func changesNamed() async throws {
        let (journal, run) = try await interrupted(Chain())
        struct Shorter: Workflow {
            typealias Input = Int
            typealias Output = [String]
            static let name = "chain"
            var steps: [AnyStep] {
                FunctionStep("s1") { (start: StartEvent<Int>, context) -> Tick? in Tick(n: 1) }
                FunctionStep("s2") { (tick: Tick, context) -> StopEvent<[String]>? in StopEvent([]) }
            }
        }
        let error = await refusal { _ = try await Engine(journal: journal).resume(Shorter(), run: run) }
        #expect(error?.message.contains("step 's3' was removed") == true, "\(String(describing: error))")
        #expect(error?.message.contains("step 's2' emitted (test.tock) and now emits (cairn.stop)") == true)
    }

    @Test("a run's version is compared on resume: refused unless declared compatible, and steps read the run's version")
    func versionCompared() async throws {
        let (journal, run) = try await interrupted(Chain(version: "1"))
        let error = await refusal { _ = try await Engine(journal: journal).resume(Chain(version: "2"), run: run) }
        #expect(error?.code == .fingerprintMismatch)
        #expect(error?.message.contains("version '1'") == true && error?.message.contains("version '2'") == true
            && error?.message.contains("compatibleVersions") == true, "\(String(describing: error))")
        let resumed = try await Engine(journal: journal).resume(Chain(version: "2", compatibleVersions: ["1"]), run: run)
        #expect(try await resumed.result == ["1", "unpatched"])
    }

    @Test("fork under changed code is refused before anything is journaled")
    func forkRefused() async throws {
        let engine = Engine()
        let original = try await engine.start(Chain(), input: 0)
        _ = try await original.result
        let runs = try await InMemoryJournalRuns.count(engine)
        let error = await refusal { _ = try await engine.fork(Chain(third: "s3b"), run: original.runID, at: 3) }
        #expect(error?.code == .fingerprintMismatch && error?.message.contains("step 's3' was renamed 's3b'") == true)
        #expect(try await InMemoryJournalRuns.count(engine) == runs)
    }

    @Test("fork under compatible code whose steps cannot rebuild the prefix is refused, leaving no run behind")
    func forkPrefixNotRebuildable() async throws {
        let engine = Engine()
        let original = try await engine.start(Chain(), input: 0)
        _ = try await original.result
        let runs = try await InMemoryJournalRuns.count(engine)
        let renamed = Chain(third: "s3b", compatibleFingerprints: [Chain().graph.fingerprint])
        let error = await refusal { _ = try await engine.fork(renamed, run: original.runID, at: 4) }  // 4: the stop, from s3's commit
        #expect(error?.code == .fingerprintMismatch, "\(String(describing: error))")
        #expect(error?.message.contains("cannot be forked at event 4") == true && error?.message.contains("s3") == true)
        #expect(try await InMemoryJournalRuns.count(engine) == runs)
    }

    @Test("a fork under changed-but-compatible code is a run of that code: its fingerprint and version, resumable by it alone")
    func forkRecordsTodaysCode() async throws {
        let engine = Engine()
        let original = try await engine.start(Chain(version: "1"), input: 0)
        #expect(try await original.result == ["1", "unpatched"])
        let today = Chain(third: "s3b", version: "2", compatibleFingerprints: [Chain().graph.fingerprint], compatibleVersions: ["1"])
        let fork = try await engine.fork(today, run: original.runID, at: 3)
        #expect(try await fork.handle.result == ["2", "unpatched"])
        guard case .runStarted(let started)? = try await engine.journal.records(for: fork.handle.runID).first else {
            Issue.record("the fork has no start")
            return
        }
        #expect(started.fingerprint == today.graph.fingerprint && started.version == "2")
        // Today's code, with no compatibility declared, may drive the fork; the origin's code may not.
        #expect(try await engine.resume(Chain(third: "s3b", version: "2"), run: fork.handle.runID).result == ["2", "unpatched"])
        let error = await refusal { _ = try await engine.resume(Chain(version: "1"), run: fork.handle.runID) }
        #expect(error?.code == .fingerprintMismatch)
    }

    @Test("patched is true for runs started by code with the patch, false for older runs, journaled and replayed")
    func patched() async throws {
        let withPatch = Chain(patches: ["p1"])
        let engine = Engine()
        let fresh = try await engine.start(withPatch, input: 0)
        #expect(try await fresh.result == ["unversioned", "patched"])

        let (journal, older) = try await interrupted(Chain())  // started before the patch shipped
        let resumed = try await Engine(journal: journal).resume(withPatch, run: older)
        #expect(try await resumed.result == ["unversioned", "unpatched"])
        let answer = try await journal.records(for: older).compactMap(\.finishedExecution).first { $0.step == "s3" }?.recorded
        #expect(answer == [.patch(id: "p1", applied: false)])

        #expect(try await engine.replayCheck(withPatch, run: fresh.runID).divergence == nil)
        #expect(try await Engine(journal: journal).replayCheck(withPatch, run: older).divergence == nil)
    }
}

/// How many runs an engine's in-memory journal holds.
enum InMemoryJournalRuns {
    static func count(_ engine: Engine) async throws -> Int {
        try await (engine.journal as? InMemoryJournal)?.runs(RunQuery()).total ?? -1
    }
}

/// The shipped monitor's own patch: proof that one binary serves runs from before and after a change.
@Suite("A patch in the shipped monitor", .hangGuard)
struct MonitorPatchTests {
    func progress(_ engine: Engine, _ run: RunID) async throws -> [String] {
        try await engine.journal.streamedEvents(for: run, from: 1, limit: 100).compactMap { $0.decode(ProgressEvent.self)?.message }
    }

    @Test("a new run says no phantom 'begin' after its last round; a run started before the patch keeps it, resumed and replayed clean")
    func quietLastRound() async throws {
        let input = MonitorInput(sku: "Apple", cycles: 2, delayMs: 0, seed: 7)
        let engine = Engine()
        let today = try await engine.start(FeedbackMonitor(), input: input)
        _ = try await today.result
        #expect(try await progress(engine, today.runID).filter { $0.hasSuffix(": begin") } == ["round 1: begin", "round 2: begin"])

        // Started by the release before the patch, its process killed after round 1's decision; resumed today.
        let dying = FaultInjectingJournal(failAfter: 8)
        let old = try await Engine(journal: dying).start(FeedbackMonitor(patches: []), input: input)
        _ = try? await old.result
        let resumed = try await Engine(journal: dying.base).resume(FeedbackMonitor(), run: old.runID)
        _ = try await resumed.result
        let oldProgress = try await progress(Engine(journal: dying.base), old.runID)
        #expect(oldProgress.filter { $0.hasSuffix(": begin") } == ["round 1: begin", "round 2: begin", "round 3: begin"], "\(oldProgress)")
        #expect(try await Engine(journal: dying.base).replayCheck(FeedbackMonitor(), run: old.runID).divergence == nil)
        #expect(try await engine.replayCheck(FeedbackMonitor(), run: today.runID).divergence == nil)
    }
}
