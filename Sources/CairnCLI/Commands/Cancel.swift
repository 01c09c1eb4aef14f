import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Cancel: CairnSubcommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel a run: terminal and journaled.",
        discussion: """
            A run no live process owns is cancelled at once. A run a live process owns is cancelled by that \
            process at its next lease renewal (within a third of the lease TTL); this command waits for it.

            Example:
              cairn cancel 6f1c2d3e-0000-4000-8000-000000000001
            """
    )

    @Argument(help: "The run to cancel.")
    var run: String

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func run(in environment: CommandEnvironment) async throws {
        let id = try environment.runID(run)
        let journal = try environment.existingJournal()
        _ = try await environment.summary(of: id, in: journal)
        do {
            try await environment.engine(journal).cancel(run: id)
        } catch let error as CairnError where error.code == .runOwned {
            try await journal.requestCancel(of: id)
            try await waitUntilEnded(id, journal, limit: journal.leaseRenewalInterval * 6)
        }
        let summary = try await environment.summary(of: id, in: journal)
        if environment.output.json {
            environment.output.json(RunOutcome(summary))
        } else {
            environment.output.line("run \(id) \(summary.displayStatus)")
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
