import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Replay: CairnSubcommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-emit a run's progress from the journal, or check today's code against it.",
        discussion: """
            Without --check: prints the run's progress stream and outcome exactly as its caller saw them.

            With --check: re-executes every committed step against its recorded input, with the recorded \
            now/random/uuid values and side-effect results, database writes dropped, and reports the first \
            divergence (step, event, seq, expected and got). Exits 0 when there is none, 1 when there is.

            Examples:
              cairn replay 6f1c2d3e-0000-4000-8000-000000000001
              cairn replay 6f1c2d3e-0000-4000-8000-000000000001 --check
            """
    )

    @Argument(help: "The run.")
    var run: String

    @Flag(help: "Re-execute the committed steps and report the first divergence.")
    var check = false

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func run(in environment: CommandEnvironment) async throws {
        let output = environment.output
        let id = try environment.runID(run)
        let journal = try environment.readOnlyJournal()
        let summary = try await environment.summary(of: id, in: journal)
        if check {
            let registration = try environment.workflow(named: summary.workflow)
            let report = try await registration.replayCheck(Engine(), id, journal)
            return try print(report, output)
        }
        var position = 1
        while true {
            let page = try await journal.streamedEvents(for: id, from: position, limit: 256)
            page.forEach(output.progress)
            position += page.count
            if page.count < 256 { break }
        }
        throw ExitCode(output.outcome(RunOutcome(summary)))
    }

    private func print(_ report: ReplayReport, _ output: Output) throws {
        if output.json { output.json(ReplayCheckDocument(report)) }
        guard let divergence = report.divergence else {
            if !output.json { output.line("no divergence: \(report.matchedExecutions) committed step execution(s) re-executed and matched") }
            return
        }
        if !output.json {
            output.line("diverged after \(report.matchedExecutions) matching execution(s):")
            output.line("  step      \(divergence.step) (execution \(divergence.executionID), attempt \(divergence.attempt))")
            output.line("  on        \(divergence.event) seq \(divergence.seq)")
            output.line("  expected  \(divergence.expected)")
            output.line("  got       \(divergence.got)")
        }
        throw ExitCode(Exit.runFailed)
    }
}

/// `replay --check --json`.
struct ReplayCheckDocument: Encodable {
    let diverged: Bool
    let matchedExecutions: Int
    let step: String?
    let executionId: Int?
    let attempt: Int?
    let event: String?
    let seq: Int?
    let expected: String?
    let got: String?

    init(_ report: ReplayReport) {
        let divergence = report.divergence
        diverged = divergence != nil
        matchedExecutions = report.matchedExecutions
        step = divergence?.step
        executionId = divergence?.executionID
        attempt = divergence?.attempt
        event = divergence?.event
        seq = divergence?.seq
        expected = divergence?.expected
        got = divergence?.got
    }
}
