import Foundation

/// Where a re-executed step first did something other than what its run recorded.
public struct ReplayDivergence: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The step.
    public let step: String
    /// The execution and attempt that were re-executed.
    public let executionID: Int
    public let attempt: Int
    /// The event the step handled (the first trigger): its name and seq.
    public let event: String
    public let seq: Int
    /// What the journal recorded, and what today's code did.
    public let expected: String
    public let got: String

    public var description: String {
        "step '\(step)' (execution \(executionID), attempt \(attempt)) on '\(event)' seq \(seq) diverged: expected \(expected), got \(got)"
    }

    private enum CodingKeys: String, CodingKey {
        case step, executionID = "executionId", attempt, event, seq, expected, got
    }
}

/// The outcome of ``Engine/replayCheck(_:run:from:)``.
public struct ReplayReport: Sendable {
    /// How many attempts (committed, or failed) were re-executed and matched before the first divergence.
    public let matchedExecutions: Int
    /// The first divergence; `nil` when today's code reproduces the run.
    public let divergence: ReplayDivergence?
}

extension Engine {
    /// Re-executes every committed step execution and every failed attempt of a run against its recorded
    /// trigger events, store snapshot, `now`/`random`/`uuid`/`patched` values and memoised side effects, and
    /// compares the outcome with the journal: what a committed one emits, streams and stores; that a failed
    /// one fails again, with the same error. Nothing is written: commit effects (database writes) are
    /// dropped, and a side effect the recorded attempt did not make is not called. Attempts that timed out or
    /// were abandoned are not re-executed (their outcome depended on time, not on the code).
    ///
    /// Use it to check that today's code still explains yesterday's decisions. In a fork, the commit that
    /// journaled the event it was forked at is taken as given (that event may have been edited).
    /// - Parameter reader: where to read the run's records; the engine's own journal when `nil` (a read-only
    ///   journal serves: nothing is written).
    public func replayCheck<W: Workflow>(_ workflow: W, run runID: RunID, from reader: (any JournalReader)? = nil) async throws -> ReplayReport {
        let graph = workflow.graph
        var machine = RunStateMachine(graph: graph)
        var storeAtStart: [Int: [String: Data]] = [:]
        var matched = 0
        var forkedAt: Int?
        for record in try await (reader ?? journal).records(for: runID).map({ try Self.decoded($0, graph: graph) }) {
            switch record {
            case .runStarted(let started):
                forkedAt = started.origin?.seq
                try machine.apply(record)
            case .executionFinished(let finish) where finish.emitted.contains(where: { $0.seq == forkedAt }):
                try machine.apply(record)  // a fork's edited event: given, not computed by the code
            case .executionStarted(let start):
                try machine.apply(record)
                storeAtStart[start.executionID] = machine.store
            case .executionFinished(let finish) where finish.isReplayable:
                if let divergence = try await reexecute(finish, machine: machine, store: storeAtStart[finish.executionID] ?? machine.store, runID: runID) {
                    return ReplayReport(matchedExecutions: matched, divergence: divergence)
                }
                matched += 1
                try machine.apply(record)
            default:
                try machine.apply(record)
            }
        }
        return ReplayReport(matchedExecutions: matched, divergence: nil)
    }

    private func reexecute(_ finish: ExecutionFinished, machine: RunStateMachine, store: [String: Data], runID: RunID) async throws
        -> ReplayDivergence? {
        guard let (step, triggers, attempt) = machine.runningExecution(finish.executionID) else {
            throw CairnError(.internalInconsistency, "execution \(finish.executionID) committed without starting")
        }
        func diverged(_ expected: String, _ got: String) -> ReplayDivergence {
            ReplayDivergence(step: step.name, executionID: finish.executionID, attempt: attempt,
                             event: triggers.first?.name ?? "", seq: triggers.first?.seq ?? 0, expected: expected, got: got)
        }
        // Failed attempts journaled before failures recorded their values read nothing back: they draw fresh ones.
        let failedBeforeRecording = finish.outcome != .completed && finish.recorded.isEmpty
        let context = WorkflowContext(
            runID: runID, step: step, executionID: finish.executionID, attempt: attempt,
            triggers: triggers.map { ($0.name, $0.seq) }, run: machine.started, graph: machine.graph, randomSeed: { 0 }, clock: clock, committedStore: store,
            recordedSideEffects: machine.sideEffects[finish.executionID] ?? [:], logger: logger, payloadLimit: PayloadLimit(bytes: .max),
            replaying: failedBeforeRecording ? nil : finish.recorded, recordedWaits: machine.waits[finish.executionID] ?? [:],
            journalSideEffect: { _ in })
        let returned: (any Event)?
        do {
            returned = try await step.body(triggers.compactMap(\.value), context)
        } catch {
            let got = "failed: \(error)"
            guard case .failed(let message, _) = finish.outcome else { return diverged(Self.completion(finish.emitted.map(\.name)), got) }
            return "failed: \(message)" == got ? context.replayDivergence.map { diverged("the recorded journaled values", $0) }
                : diverged("failed: \(message)", got)
        }
        if case .failed(let message, _) = finish.outcome {
            let emitted = context.seal().sent.map(\.name) + (returned.map { [$0.eventNameOfInstance] } ?? [])
            return diverged("failed: \(message)", Self.completion(emitted))
        }
        let effects = context.seal()
        if let divergence = context.replayDivergence { return diverged("the recorded journaled values", divergence) }
        var got = effects.sent
        if let returned {
            got.append(OutgoingEvent(name: returned.eventNameOfInstance, payload: try WorkflowContext.encode(returned), value: returned))
        }
        let expected = finish.emitted.map { OutgoingEvent(name: $0.name, payload: $0.payload, value: $0.value, target: $0.target) }
        for index in 0..<max(expected.count, got.count) {
            let want = index < expected.count ? expected[index] : nil, have = index < got.count ? got[index] : nil
            if want?.name != have?.name || want?.target != have?.target || !CanonicalJSON.same(want?.payload, have?.payload) {
                return diverged(Self.describe(want), Self.describe(have))
            }
        }
        let streamed = effects.streamed.map { ($0.name, $0.payload) }
        if streamed.count != finish.streamed.count || zip(streamed, finish.streamed).contains(where: { $0.0 != $1.name || !CanonicalJSON.same($0.1, $1.payload) }) {
            return diverged("\(finish.streamed.count) streamed event(s)", "\(streamed.count), or different ones")
        }
        let writes = Dictionary(uniqueKeysWithValues: finish.storeWrites.map { ($0.key, $0.value) })
        if Set(writes.keys) != Set(effects.storeWrites.keys) || writes.contains(where: { !CanonicalJSON.same($0.value, effects.storeWrites[$0.key]) }) {
            return diverged("store writes \(writes.keys.sorted())", "store writes \(effects.storeWrites.keys.sorted()), or other values")
        }
        return nil
    }

    /// An attempt that completed, emitting the events named.
    private static func completion(_ emitted: [String]) -> String {
        "completed, emitting \(emitted.isEmpty ? "nothing" : emitted.joined(separator: ", "))"
    }

    private static func describe(_ event: OutgoingEvent?) -> String {
        event.map { "\($0.name)\($0.target.map { " to '\($0)'" } ?? "") \(String(decoding: $0.payload, as: UTF8.self))" } ?? "no event"
    }
}

extension ExecutionFinished {
    /// Whether `replay --check` re-executes this attempt: its outcome came from the code and its recorded
    /// inputs alone — not from time (timed out, abandoned), the database (a refused commit effect) or a crash.
    var isReplayable: Bool {
        switch outcome {
        case .completed: true
        case .failed(let message, _): !CommitEffectError.describes(message) && !message.hasPrefix(RunStateMachine.diedWithItsProcess)
        case .timedOut, .abandoned: false
        }
    }
}
