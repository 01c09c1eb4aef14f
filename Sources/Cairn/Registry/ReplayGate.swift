/// Replay as a deploy gate: today's code checked against many recorded runs — what Temporal's replayer is
/// used for before a deploy. Each run is re-executed with ``Engine/replayCheck(_:run:from:)`` by the
/// registered workflow of its name, and every verdict is kept, so one pass names every run the new code would
/// decide differently.
///
/// ## Usage
/// ```swift
/// let gate = ReplayGate([WorkflowRegistration(Monitor())])
/// let verdicts = await gate.check(try await production.allRuns(RunQuery(workflow: "monitor", limit: 500)), in: production)
/// #expect(verdicts.allSatisfy { !$0.verdict.fails })
/// ```
public struct ReplayGate: Sendable {
    /// What replaying one run said.
    public enum Verdict: Sendable {
        /// Today's code reproduced every re-executed attempt.
        case matched(executions: Int)
        /// Today's code did something else: where first.
        case diverged(ReplayDivergence, matchedExecutions: Int)
        /// Today's code cannot even rebuild the run's journal (a step or event it no longer has): why.
        case unreplayable(String)
        /// No registered workflow has the run's name: nothing was checked.
        case skipped(String)

        /// Whether this verdict fails the gate.
        public var fails: Bool {
            switch self {
            case .diverged, .unreplayable: true
            case .matched, .skipped: false
            }
        }
    }

    /// One run and its verdict.
    public struct RunVerdict: Sendable {
        public let runID: RunID
        public let workflow: String
        public let verdict: Verdict
    }

    private let registrations: [String: WorkflowRegistration]
    private let engine: Engine

    /// A gate over today's code: the workflows registered, replayed by `engine` (nothing is written).
    public init(_ registrations: [WorkflowRegistration], engine: Engine = Engine()) {
        self.registrations = Dictionary(registrations.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.engine = engine
    }

    /// Replays one run of `workflow` from `reader`.
    public func check(_ run: RunID, workflow: String, in reader: any JournalReader) async -> RunVerdict {
        guard let registration = registrations[workflow] else {
            return RunVerdict(runID: run, workflow: workflow, verdict: .skipped("workflow '\(workflow)' is not registered here"))
        }
        let verdict: Verdict
        do {
            let report = try await registration.replayCheck(engine, run, reader)
            verdict = report.divergence.map { .diverged($0, matchedExecutions: report.matchedExecutions) }
                ?? .matched(executions: report.matchedExecutions)
        } catch {
            verdict = .unreplayable((error as? CairnError)?.message ?? String(describing: error))
        }
        return RunVerdict(runID: run, workflow: workflow, verdict: verdict)
    }

    /// Replays every run in `runs`, in order, reporting each verdict to `progress` as it comes; with
    /// `failFast`, stops after the first that fails the gate.
    public func check(
        _ runs: [RunSummary], in reader: any JournalReader, failFast: Bool = false, progress: (RunVerdict) -> Void = { _ in }
    ) async -> [RunVerdict] {
        var verdicts: [RunVerdict] = []
        for run in runs {
            let verdict = run.prunedAt == nil
                ? await check(run.runID, workflow: run.workflow, in: reader)
                : RunVerdict(runID: run.runID, workflow: run.workflow, verdict: .skipped("its history was pruned (cairn db prune)"))
            verdicts.append(verdict)
            progress(verdict)
            if failFast, verdict.verdict.fails { break }
        }
        return verdicts
    }
}
