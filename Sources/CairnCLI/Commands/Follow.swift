import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Follow: AsyncParsableCommand {
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

    @Argument(help: "The run.")
    var run: String

    @Option(help: ArgumentHelp("Start at this progress position (1 is the first).", valueName: "position"))
    var from: Int = 1

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func run() async throws {
        let environment = try CommandEnvironment(options, root: root.global)
        do {
            let id = try environment.runID(run).description
            let journal = try environment.readOnlyJournal()
            let output = environment.output
            var position = max(1, from)
            while true {
                let status = try journal.rows("SELECT status, error, result FROM runs WHERE run_id = ?", [id]).records.first
                guard let status else { throw CairnError(.runNotFound, "no run \(id) in \(journal.path)") }
                let page = try journal.rows("""
                    SELECT stream_position, step, name, payload FROM stream_event
                    WHERE run_id = ? AND stream_position >= ? ORDER BY stream_position LIMIT 256
                    """, [id, String(position)])
                page.records.forEach(output.progress)
                position += page.rows.count
                let word = status["status"]?.text ?? ""
                if page.rows.isEmpty, RunStatus(rawValue: word)?.isTerminal == true {
                    output.outcome(runID: id, status)
                    throw ExitCode(word == "completed" ? 0 : Exit.runFailed)
                }
                if page.rows.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw Exit.fail(error)
        }
    }
}
