import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Draw: CairnSubcommand {
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

    @Argument(help: "The workflow (not needed with --run).", completion: Completions.workflows)
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

    /// `draw --json`: the drawing as a field of one document.
    struct Document: Encodable {
        let workflow: String
        let run: String?
        let format: String
        let drawing: String
    }

    func run(in environment: CommandEnvironment) async throws {
        let drawing: Drawing
        if let run {
            let id = try environment.runID(run)
            let journal = try await environment.inspectableJournal()
            guard let detail = try await journal.detail(of: id) else {
                throw CairnError(.runNotFound, "no run \(id) in \(environment.journalPath)")
            }
            let trace = Drawing.Trace(detail, children: try await journal.allRuns(RunQuery(parent: id, limit: 500)))
            drawing = Drawing(try environment.workflow(named: detail.summary.workflow).graph, trace: trace)
        } else {
            drawing = Drawing(try environment.workflow(named: workflow ?? "").graph)
        }
        let text = switch format {
        case .mermaid: drawing.mermaid
        case .dot: drawing.dot
        case .html: drawing.html
        }
        if environment.output.json, output == nil {
            return environment.output.json(Document(workflow: drawing.graph.name, run: run, format: format.rawValue, drawing: text))
        }
        guard let output else { return FileHandle.standardOutput.write(Data(text.utf8)) }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output))
        } catch {
            throw CairnError(.fileNotFound, "cannot write \(output): \(error.localizedDescription)")
        }
    }
}
