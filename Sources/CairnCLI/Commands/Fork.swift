import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Fork: CairnSubcommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a new run from another run's journal at an event, optionally edited, and drive it live.",
        discussion: """
            The fork copies the original's journal up to the end of the commit that journaled event SEQ (it \
            says so when that commit journaled later events too), applies --input-patch (a JSON merge patch) \
            to event SEQ, and continues live. Its effects are real and its own; `show`, `list` and `audit` \
            link it to its origin. Use `cairn diff` to compare the two.

            Examples:
              cairn fork 6f1c2d3e-0000-4000-8000-000000000001 --at 8 --input-patch '{"decision": "Bad"}'
              cairn fork 6f1c2d3e-0000-4000-8000-000000000001 --at 1 --input-patch '{"input": {"cycles": 5}}'
            """
    )

    @Argument(help: "The run to fork.")
    var run: String

    @Option(help: ArgumentHelp("The event seq to fork at.", valueName: "seq"))
    var at: Int

    @Option(help: ArgumentHelp("A JSON merge patch for the payload of event SEQ.", valueName: "json"))
    var inputPatch: String?

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func run(in environment: CommandEnvironment) async throws {
        let signals = SignalInterrupter(beforeForcedExit: environment.releaseLeasesNow)
        let id = try environment.runID(run)
        let journal = try environment.existingJournal()
        let summary = try await environment.summary(of: id, in: journal)
        let registration = try environment.workflow(named: summary.workflow)
        let (fork, note) = try await registration.fork(environment.engine(journal), id, at, inputPatch.map { Data($0.utf8) })
        if let note { FileHandle.standardError.write(Data("cairn: note: \(note)\n".utf8)) }
        if !environment.output.json { environment.output.line("fork \(fork.runID) of run \(id) at seq \(at)") }
        let follower = RunFollower(output: environment.output, workflow: summary.workflow, signals: signals)
        throw ExitCode(await follower.drive(fork))
    }
}
