import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Draw: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw every possible flow of a workflow, or the path one run took.",
        discussion: """
            The HTML is one self-contained file (inline SVG, no script, no network) that renders offline.

            Examples:
              cairn draw complex-feedback-monitor                       # Mermaid on stdout
              cairn draw feedback-monitor --format html -o monitor.html
              cairn draw --run 6f1c2d3e-0000-4000-8000-000000000001 --format dot
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case mermaid, dot, html
    }

    @Argument(help: "The workflow (not needed with --run).")
    var workflow: String?

    @Option(help: ArgumentHelp("Draw the path this run took: steps with their attempts and time, events with their counts.", valueName: "run"))
    var run: String?

    @Option(help: "mermaid, dot or html.")
    var format: Format = .mermaid

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var output: String?

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func validate() throws {
        if (workflow == nil) == (run == nil) { throw ValidationError("Pass a workflow, or --run with a run id.") }
    }

    func run() async throws {
        let environment = try CommandEnvironment(options, root: root.global)
        do {
            let drawing: Drawing
            if let run {
                let id = try environment.runID(run).description
                let journal = try environment.readOnlyJournal()
                guard let name = try journal.rows("SELECT workflow FROM runs WHERE run_id = ?", [id]).rows.first?.first?.text else {
                    throw CairnError(.runNotFound, "no run \(id) in \(journal.path)")
                }
                let steps = try journal.rows("""
                    SELECT step, COUNT(*), COALESCE(SUM(duration_s), 0) FROM step_executions WHERE run_id = ? GROUP BY step
                    """, [id]).rows
                let events = try journal.rows("SELECT name, COUNT(*) FROM events WHERE run_id = ? GROUP BY name", [id]).rows
                let trace = Drawing.Trace(
                    steps: Dictionary(uniqueKeysWithValues: steps.map { ($0[0].text, (Int($0[1].text) ?? 0, Double($0[2].text) ?? 0)) }),
                    events: Dictionary(uniqueKeysWithValues: events.map { ($0[0].text, Int($0[1].text) ?? 0) }))
                drawing = Drawing(try environment.workflow(named: name).graph, trace: trace)
            } else {
                drawing = Drawing(try environment.workflow(named: workflow ?? "").graph)
            }
            let text = switch format {
            case .mermaid: drawing.mermaid
            case .dot: drawing.dot
            case .html: drawing.html
            }
            guard let output else { return FileHandle.standardOutput.write(Data(text.utf8)) }
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output))
            } catch {
                throw CairnError(.fileNotFound, "cannot write \(output): \(error.localizedDescription)")
            }
        } catch {
            throw Exit.fail(error)
        }
    }
}
