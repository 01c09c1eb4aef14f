import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Replay: AsyncParsableCommand {
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

    func run() async throws {
        let environment = try CommandEnvironment(options, root: root.global)
        let output = environment.output
        do {
            let id = try environment.runID(run)
            let journal = try environment.readOnlyJournal()
            guard let summary = try journal.rows("SELECT workflow, status, result, error FROM runs WHERE run_id = ?", [id.description]).records.first else {
                throw CairnError(.runNotFound, "no run \(id) in \(journal.path)")
            }
            if check {
                let registration = try environment.workflow(named: summary["workflow"]?.text ?? "")
                let report = try await registration.replayCheck(environment.engine(try environment.journal()), id)
                return try print(report, output)
            }
            let progress = try journal.rows(
                "SELECT stream_position, step, name, payload FROM stream_event WHERE run_id = ? ORDER BY stream_position", [id.description])
            progress.records.forEach(output.progress)
            output.outcome(runID: id.description, summary)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw Exit.fail(error)
        }
    }

    private func print(_ report: ReplayReport, _ output: Output) throws {
        guard let divergence = report.divergence else {
            if output.json {
                output.json(["diverged": false, "matchedExecutions": report.matchedExecutions])
            } else {
                output.line("no divergence: \(report.matchedExecutions) committed step execution(s) re-executed and matched")
            }
            return
        }
        if output.json {
            output.json(["diverged": true, "matchedExecutions": report.matchedExecutions, "step": divergence.step,
                         "executionId": divergence.executionID, "attempt": divergence.attempt, "event": divergence.event,
                         "seq": divergence.seq, "expected": divergence.expected, "got": divergence.got])
        } else {
            output.line("diverged after \(report.matchedExecutions) matching execution(s):")
            output.line("  step      \(divergence.step) (execution \(divergence.executionID), attempt \(divergence.attempt))")
            output.line("  on        \(divergence.event) seq \(divergence.seq)")
            output.line("  expected  \(divergence.expected)")
            output.line("  got       \(divergence.got)")
        }
        throw ExitCode(Exit.runFailed)
    }
}
