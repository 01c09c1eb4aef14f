import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Cancel: CairnSubcommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel runs: terminal and journaled.",
        discussion: """
            A run no live process owns is cancelled at once. A run a live process owns is cancelled by that \
            process at its next lease renewal (within a third of the lease TTL); this command waits for it.

            Name the runs, or select the unfinished ones with --status and --workflow; when a selection \
            matches more than one run, --yes is needed. One line per run; exit 1 when any could not be cancelled.

            Examples:
              cairn cancel 6f1c2d3e-0000-4000-8000-000000000001
              cairn cancel 6f1c2d3e-0000-4000-8000-000000000001 7a2d3e4f-0000-4000-8000-000000000002
              cairn cancel --status interrupted --workflow feedback-monitor --yes
            """
    )

    @Argument(help: ArgumentHelp("The runs to cancel.", valueName: "run"), completion: Completions.runs)
    var runs: [String] = []

    @Option(help: ArgumentHelp("Select the unfinished runs with this status (running, interrupted, pending, waiting); "
        + "give it several times for any of them.", valueName: "status"))
    var status: [String] = []

    @Option(help: ArgumentHelp("Select the unfinished runs of this workflow.", valueName: "name"))
    var workflow: String?

    @Flag(help: "Cancel every run the selection matches, however many.")
    var yes = false

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    private var selects: Bool { !status.isEmpty || workflow != nil }

    func validate() throws {
        if runs.isEmpty == !selects { throw ValidationError("name the runs to cancel, or select them with --status or --workflow, not both") }
        _ = try RunQuery.Status.parse(status)
    }

    func run(in environment: CommandEnvironment) async throws {
        let journal = try await environment.existingJournal()
        var ids = try runs.map(environment.runID)
        for id in ids { _ = try await environment.summary(of: id, in: journal) }
        if selects {
            let query = RunQuery(statuses: try RunQuery.Status.parse(status), workflow: workflow, unfinishedOnly: true, limit: 500)
            ids = try await journal.allRuns(query).map(\.runID)
            if ids.count > 1, !yes {
                throw CairnError(.invalidInput, "the selection matches \(ids.count) runs; add --yes to cancel them all, or name the runs")
            }
            if ids.isEmpty, !environment.output.json { environment.output.line("no unfinished run matches") }
        }
        var failed = false
        for id in ids {
            do {
                try await cancel(id, journal, environment)
                let summary = try await environment.summary(of: id, in: journal)
                if environment.output.json {
                    environment.output.json(RunOutcome(summary))
                } else {
                    environment.output.line("run \(id) \(summary.displayStatus)")
                }
            } catch {
                guard ids.count > 1 else { throw error }
                failed = true
                _ = Exit.fail(error, json: environment.output.json)  // its sentence names the run
            }
        }
        if failed { throw ExitCode(Exit.runFailed) }
    }

    private func cancel(_ id: RunID, _ journal: any CommandJournal, _ environment: CommandEnvironment) async throws {
        do {
            try await environment.engine(journal).cancel(run: id)
        } catch let error as CairnError where error.code == .runOwned {
            try await journal.requestCancel(of: id)
            try await waitUntilEnded(id, journal, limit: journal.leaseRenewalInterval * 6)
        }
    }

    private func waitUntilEnded(_ id: RunID, _ journal: some InspectableJournal, limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try await journal.summary(of: id)?.finishedAt != nil { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw CairnError(.runOwned, "run \(id) is owned by a live process that did not act on the cancel request within \(limit); "
            + "it will be cancelled when that process renews its lease or is resumed")
    }
}
