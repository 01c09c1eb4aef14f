import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Replay: CairnSubcommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-emit a run's progress from the journal, or check today's code against recorded runs.",
        discussion: """
            Without --check: prints the run's progress stream and outcome exactly as its caller saw them.

            With --check: re-executes every committed step and every failed attempt against its recorded \
            input, with the recorded now/random/uuid/patched values and side-effect results, database writes \
            dropped, and reports where today's code does something else (step, event, seq, expected and got) — \
            a step that now succeeds where it failed is a divergence too. Check one run, several, or a \
            selection (--all, --workflow, --since) as a deploy gate: every run is checked (or up to the first \
            failure, with --fail-fast), one line each, then a summary. Runs of workflows this binary does not \
            register are skipped. Exits 0 when nothing diverged, 1 when a run diverged or could not be replayed.

            Examples:
              cairn replay 6f1c2d3e-0000-4000-8000-000000000001
              cairn replay 6f1c2d3e-0000-4000-8000-000000000001 --check
              cairn replay --check --all
              cairn replay --check --workflow feedback-monitor --since 7d --fail-fast
            """
    )

    @Argument(help: ArgumentHelp("The run (with --check: one or more runs).", valueName: "run"), completion: Completions.runs)
    var runs: [String] = []

    @Flag(help: "Re-execute the recorded steps and report where today's code diverges.")
    var check = false

    @Flag(help: "With --check: every run of the journal.")
    var all = false

    @Option(help: ArgumentHelp("With --check: the runs of this workflow.", valueName: "name"))
    var workflow: String?

    @Option(help: ArgumentHelp("With --check: the runs started since this time (2026-12-01, 2026-12-01T09:30:00Z, or an age: 24h, 7d).",
                               valueName: "time"), transform: PointInTime.parse)
    var since: PointInTime?

    @Flag(help: "With --check: stop at the first run that diverges or cannot be replayed.")
    var failFast = false

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    private var selects: Bool { all || workflow != nil || since != nil }

    func validate() throws {
        guard check else {
            if runs.count != 1 { throw ValidationError("replay re-emits one run: name it (several runs need --check)") }
            if selects || failFast { throw ValidationError("--all, --workflow, --since and --fail-fast go with --check") }
            return
        }
        if runs.isEmpty, !selects { throw ValidationError("name the runs to check, or select them with --all, --workflow or --since") }
        if !runs.isEmpty, selects { throw ValidationError("name runs or select them with --all, --workflow or --since, not both") }
    }

    func run(in environment: CommandEnvironment) async throws {
        let journal = try await environment.inspectableJournal()
        let ids = try runs.map(environment.runID)
        var summaries: [RunSummary] = []
        for id in ids { summaries.append(try await environment.summary(of: id, in: journal)) }
        if check {
            if selects { summaries = try await journal.allRuns(RunQuery(workflow: workflow, since: since?.date, limit: 500)) }
            return try await gate(summaries, in: journal, output: environment.output)
        }
        let output = environment.output
        if let pruned = summaries[0].prunedAt {
            throw CairnError(.historyPruned, "run \(summaries[0].runID)'s history was pruned at \(Timestamp.text(pruned)) (cairn db prune): "
                + "there is nothing to replay; cairn show prints its summary")
        }
        var position = 1
        while true {
            let page = try await journal.streamedEvents(for: summaries[0].runID, from: position, limit: 256)
            page.forEach(output.progress)
            position += page.count
            if page.count < 256 { break }
        }
        throw ExitCode(output.outcome(RunOutcome(summaries[0])))
    }

    private func gate(_ runs: [RunSummary], in journal: any InspectableJournal, output: Output) async throws {
        let gate = ReplayGate(CairnCLI.workflows)
        let verdicts = await gate.check(runs, in: journal, failFast: failFast) { report($0, output) }
        let summary = ReplaySummaryLine(verdicts)
        if output.json {
            output.json(summary)
        } else {
            output.line(summary.sentence(of: runs.count))
        }
        if verdicts.contains(where: \.verdict.fails) { throw ExitCode(Exit.runFailed) }
    }

    private func report(_ run: ReplayGate.RunVerdict, _ output: Output) {
        if output.json { return output.json(ReplayVerdictLine(run)) }
        let head = "\(run.runID)  \(run.workflow)"
        switch run.verdict {
        case .matched(let executions):
            output.line("ok        \(head): \(executions) recorded attempt(s) re-executed and matched")
        case .diverged(let divergence, let matched):
            output.line("DIVERGED  \(head), after \(matched) matching attempt(s):")
            output.line("  step      \(divergence.step) (execution \(divergence.executionID), attempt \(divergence.attempt))")
            output.line("  on        \(divergence.event) seq \(divergence.seq)")
            output.line("  expected  \(divergence.expected)")
            output.line("  got       \(divergence.got)")
        case .unreplayable(let reason):
            output.line("FAILED    \(head): cannot be replayed by this code: \(reason)")
        case .skipped(let reason):
            output.line("skipped   \(head): \(reason)")
        }
    }
}

/// `replay --check --json`: one line per run checked.
struct ReplayVerdictLine: Encodable {
    let type = "replay"
    let runId: RunID
    let workflow: String
    /// `matched`, `diverged`, `unreplayable` or `skipped`.
    let verdict: String
    let matchedExecutions: Int?
    let divergence: ReplayDivergence?
    let reason: String?

    init(_ run: ReplayGate.RunVerdict) {
        runId = run.runID
        workflow = run.workflow
        switch run.verdict {
        case .matched(let executions):
            (verdict, matchedExecutions, divergence, reason) = ("matched", executions, nil, nil)
        case .diverged(let found, let matched):
            (verdict, matchedExecutions, divergence, reason) = ("diverged", matched, found, nil)
        case .unreplayable(let why):
            (verdict, matchedExecutions, divergence, reason) = ("unreplayable", nil, nil, why)
        case .skipped(let why):
            (verdict, matchedExecutions, divergence, reason) = ("skipped", nil, nil, why)
        }
    }
}

/// `replay --check`'s last line: how many runs were checked, and what became of them.
struct ReplaySummaryLine: Encodable {
    let type = "summary"
    let checked: Int
    let matched: Int
    let diverged: Int
    let unreplayable: Int
    let skipped: Int

    init(_ verdicts: [ReplayGate.RunVerdict]) {
        func count(_ word: String) -> Int { verdicts.filter { ReplayVerdictLine($0).verdict == word }.count }
        checked = verdicts.count
        matched = count("matched")
        diverged = count("diverged")
        unreplayable = count("unreplayable")
        skipped = count("skipped")
    }

    func sentence(of selected: Int) -> String {
        let stopped = checked < selected ? " (stopped at the first failure; \(selected - checked) not checked)" : ""
        return "\(checked) run(s) checked\(stopped): \(matched) matched, \(diverged) diverged, \(unreplayable) could not be replayed, "
            + "\(skipped) skipped"
    }
}
