import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Follow: CairnSubcommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a run's progress as another process journals it, until the run ends.",
        discussion: """
            Exits 0 when the run completes and 1 when it fails, is cancelled or times out. Any number of \
            followers may watch one run; they only read.

            Examples:
              cairn follow 6f1c2d3e-0000-4000-8000-000000000001
              cairn follow 6f1c2d3e-0000-4000-8000-000000000001 --from 5 --json
            """
    )

    @Argument(help: "The run.", completion: Completions.runs)
    var run: String

    @Option(help: ArgumentHelp("Start at this progress position (1 is the first).", valueName: "position"))
    var from: Int = 1

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func validate() throws {
        if from < 1 { throw ValidationError("--from must be at least 1 (the first progress position)") }
    }

    func run(in environment: CommandEnvironment) async throws {
        let id = try environment.runID(run)
        let journal = try await environment.inspectableJournal()
        let output = environment.output
        var position = from
        while true {
            let summary = try await environment.summary(of: id, in: journal)
            let page = try await journal.streamedEvents(for: id, from: position, limit: 256)
            page.forEach(output.progress)
            position += page.count
            if page.isEmpty, summary.finishedAt != nil {
                throw ExitCode(output.outcome(RunOutcome(summary)))
            }
            if page.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
    }
}
