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

    /// The runs the run's steps started, grouped by step, workflow and published event.
    private static func started(by detail: RunDetail, in journal: ReadOnlyJournal) async throws -> [Drawing.StartedRuns] {
        let steps = Dictionary(detail.timeline.compactMap { entry in entry.executionId.map { ($0, entry.step ?? "") } }) { first, _ in first }
        let published = Dictionary(detail.records.flatMap(\.events).filter(\.published).map { ($0.seq, $0.name) }) { first, _ in first }
        var groups: [Drawing.StartedRuns] = []
        for child in try await journal.allRuns(RunQuery(parent: detail.summary.runID, limit: 500)) {
            let step = child.parentExecution.flatMap { steps[$0] } ?? "?"
            let event = child.publishedSeq.flatMap { published[$0] }
            if let index = groups.firstIndex(where: { $0.step == step && $0.workflow == child.workflow && $0.published == event }) {
                groups[index].count += 1
                groups[index].statuses[child.displayStatus, default: 0] += 1
            } else {
                groups.append(Drawing.StartedRuns(step: step, workflow: child.workflow, published: event, count: 1, statuses: [child.displayStatus: 1]))
            }
        }
        return groups.sorted { ($0.step, $0.workflow) < ($1.step, $1.workflow) }
    }

    func run(in environment: CommandEnvironment) async throws {
        let drawing: Drawing
        if let run {
            let id = try environment.runID(run)
            let journal = try environment.readOnlyJournal()
            guard let detail = try await journal.detail(of: id) else {
                throw CairnError(.runNotFound, "no run \(id) in \(environment.journalPath)")
            }
            var steps: [String: (attempts: Int, seconds: Double)] = [:]
            for entry in detail.timeline where entry.kind == .attempt {
                let step = entry.step ?? ""
                steps[step] = ((steps[step]?.attempts ?? 0) + 1, (steps[step]?.seconds ?? 0) + (entry.durationSeconds ?? 0))
            }
            let events = Dictionary(detail.records.flatMap(\.events).filter { !$0.published }.map { ($0.name, 1) }, uniquingKeysWith: +)
            let trace = Drawing.Trace(steps: steps, events: events, started: try await Self.started(by: detail, in: journal))
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
