public import Foundation

/// A fork being made: its handle, and what the caller should know about where it starts.
public struct Fork<Output: Codable & Sendable>: Sendable {
    /// The new run, live.
    public let handle: RunHandle<Output>
    /// The event seq it was forked at.
    public let seq: Int
    /// Set when the event forked at was journaled by a commit that journaled later events too.
    public let note: String?
}

/// Where a fork starts: at an event, or at the event that triggered an execution worth running again.
public enum ForkPoint: Sendable, Equatable, ExpressibleByIntegerLiteral {
    /// At event `seq`.
    case seq(Int)
    /// At the trigger of the last execution whose attempt failed or timed out: the fork runs it afresh.
    case lastFailure
    /// At the trigger of the first execution of the step: the fork runs that step, and what follows, afresh.
    case firstExecution(ofStep: String)

    public init(integerLiteral seq: Int) { self = .seq(seq) }

    /// The event seq this point names in `records` (a run's journal).
    /// - Throws: ``CairnError`` `invalid-input` when the run has no such execution.
    func seq(in records: [JournalRecord], of run: RunID) throws -> Int {
        switch self {
        case .seq(let seq):
            return seq
        case .lastFailure:
            let failed = records.compactMap { record -> ExecutionFinished? in
                guard case .executionFinished(let finish) = record else { return nil }
                switch finish.outcome {
                case .failed, .timedOut: return finish
                case .completed, .abandoned: return nil
                }
            }.last
            guard let seq = failed?.triggers.first?.seq else {
                throw CairnError(.invalidInput, "run \(run) has no failed step execution to fork from: give --at SEQ or --step NAME")
            }
            return seq
        case .firstExecution(let step):
            let first = records.lazy.compactMap { record -> ExecutionStarted? in
                guard case .executionStarted(let start) = record, start.step == step else { return nil }
                return start
            }.first
            guard let seq = first?.triggers.first else {
                let steps = Set(records.compactMap(\.startedStep)).sorted()
                throw CairnError(.invalidInput, "run \(run) never ran step '\(step)'; its steps ran: \(steps.joined(separator: ", "))")
            }
            return seq
        }
    }
}

extension Engine {
    /// Starts a new run from another run's journal up to the end of the commit that journaled event `seq`,
    /// optionally with that event edited, and drives it live. The fork's effects are real and its own; it
    /// records its origin (run and seq).
    ///
    /// - Parameters:
    ///   - point: the event to fork at (`at: 8`), or the trigger of the last failed execution or of a step's first.
    ///   - patch: a JSON merge patch (RFC 7386) applied to the payload of that event — for seq 1, the start
    ///     event, `{"input": {…}}` edits the input.
    /// - Throws: ``CairnError`` `invalid-input` when the run has no such event or the patched event does not decode;
    ///   `fingerprint-mismatch` when this code may not drive the run, or cannot rebuild its prefix.
    public func fork<W: Workflow>(_ workflow: W, run original: RunID, at point: ForkPoint, patch: Data? = nil) async throws -> Fork<W.Output> {
        let graph = workflow.graph
        try graph.validate()
        let (origin, originRecords) = try await Self.startedRecords(of: original, from: journal)
        try workflow.checkCanDrive(origin, graph: graph, doing: "forked")
        let seq = try point.seq(in: originRecords, of: original)
        var records = originRecords
        guard let cut = records.firstIndex(where: { $0.events.contains { $0.seq == seq } }) else {
            let last = records.flatMap(\.events).map(\.seq).max() ?? 1
            throw CairnError(.invalidInput, "run \(original) has no event \(seq): its events are 1…\(last)")
        }
        var note: String?
        if case .executionFinished(let commit) = records[cut], let last = commit.emitted.last?.seq, last > seq {
            note = "event \(seq) was journaled by the commit of step '\(commit.step)' (execution \(commit.executionID)), which also "
                + "journaled events \(seq + 1)…\(last); the fork starts after that whole commit"
        }
        records = Self.withoutUnfinishedAttempts(Array(records[...cut]))
        if let patch { records = try Self.patching(records, seq: seq, patch: patch, graph: graph) }
        guard case .runStarted(let start) = records[0] else { throw CairnError(.internalInconsistency, "run \(original) has no start") }
        let forkID = RunID()
        let now = clock.now
        // The fork is a run of today's code: its fingerprint and version; the origin's patches, since its
        // prefix was made by the origin's code.
        records[0] = .runStarted(RunStarted(
            runID: forkID, workflow: W.name, fingerprint: graph.fingerprint, shape: graph.shape, version: workflow.version,
            patches: origin.patches, seed: start.seed,
            deadline: start.deadline.map { now.addingTimeInterval($0.timeIntervalSince(start.at)) }, at: now,
            start: start.start, store: start.store, origin: (original, seq), accepts: graph.acceptedNames.sorted()))
        let machine: RunStateMachine
        do {
            machine = try Self.rebuild(forkID, graph: graph, records: records)  // before anything is journaled
        } catch let error as CairnError {
            throw CairnError(.fingerprintMismatch, "run \(original) cannot be forked at event \(seq) by this code: "
                + error.message.replacingOccurrences(of: "run \(forkID) cannot be rebuilt at its", with: "its"))
        }
        guard let inbox = live.claim(forkID) else { throw CairnError(.internalInconsistency, "fork \(forkID) is claimed already") }
        do {
            try await journal.append(records, for: forkID)
            return Fork(handle: launch(machine, runID: forkID, inbox: inbox), seq: seq, note: note)
        } catch {
            await (journal as? any LeasingJournal)?.releaseLease(of: forkID)
            live.release(forkID)
            throw error
        }
    }

    /// The prefix without the attempts that had not committed by the cut: in the fork those executions
    /// start afresh, as first attempts of its own. Side effects stay with every execution that committed
    /// (a later attempt may have committed on an earlier attempt's memoised result); the others go. The
    /// origin's interruptions and resumes go too: they happened to its processes, not to the fork (and,
    /// with no unfinished attempt left, they change nothing the fork rebuilds). What the copied commits sent to
    /// other runs and the runs they started stay the origin's: the fork's copy neither sends nor starts them again.
    private static func withoutUnfinishedAttempts(_ records: [JournalRecord]) -> [JournalRecord] {
        var finished: Set<[Int]> = []
        for case .executionFinished(let finish) in records { finished.insert([finish.executionID, finish.attempt]) }
        let committed = Set(finished.map { $0[0] })
        return records.compactMap { record in
            switch record {
            case .executionStarted(let start): finished.contains([start.executionID, start.attempt]) ? record : nil
            case .sideEffect(let effect): committed.contains(effect.executionID) ? record : nil
            case .runInterrupted, .runResumed: nil
            case .executionFinished(let finish): .executionFinished(finish.withoutOutbox)
            default: record
            }
        }
    }

    /// The records with event `seq`'s payload merge-patched, checked to decode as its type.
    private static func patching(_ records: [JournalRecord], seq: Int, patch: Data, graph: WorkflowGraph) throws -> [JournalRecord] {
        if let problem = InputError.syntaxProblem(in: patch) { throw CairnError(.invalidInput, "the input patch is not valid: \(problem)") }
        let patchObject = try JSONSerialization.jsonObject(with: patch, options: [.fragmentsAllowed])
        if let duplicate = JSONKeys.firstDuplicate(in: patch) {
            throw CairnError(.invalidInput, "the input patch gives field '\(duplicate)' twice; give it once")
        }
        func patched(_ event: JournaledEvent) throws -> JournaledEvent {
            guard event.seq == seq else { return event }
            let original = try JSONSerialization.jsonObject(with: event.payload, options: [.fragmentsAllowed])
            let payload = try JSONSerialization.data(withJSONObject: mergePatch(original, patchObject), options: [.fragmentsAllowed, .sortedKeys])
            do {
                _ = try JSONDecoder().decode(graph.eventType(event.name), from: payload)
            } catch {
                throw CairnError(.invalidInput, "the patched event \(seq) ('\(event.name)') is not valid: \(InputError.describe(error, in: payload))")
            }
            return JournaledEvent(seq: event.seq, name: event.name, payload: payload, executionID: event.executionID, target: event.target,
                                  published: event.published, value: nil)
        }
        return try records.map { try $0.mapEvents(patched) }
    }

    /// RFC 7386: objects merge key by key, `null` removes a key, anything else replaces.
    private static func mergePatch(_ target: Any, _ patch: Any) -> Any {
        guard let patch = patch as? [String: Any] else { return patch }
        var result = target as? [String: Any] ?? [:]
        for (key, value) in patch {
            if value is NSNull { result[key] = nil } else { result[key] = mergePatch(result[key] ?? NSNull(), value) }
        }
        return result
    }
}
