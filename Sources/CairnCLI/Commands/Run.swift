import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Run: CairnSubcommand {
    static var configuration: CommandConfiguration {
        let workflow = CairnCLI.workflows.map(\.name).sorted().first ?? "WORKFLOW"
        return CommandConfiguration(
            abstract: "Start a workflow run and drive it to its end, streaming its progress.",
            discussion: """
                Workflows and their inputs:
                \(WorkflowHelp.catalogue)

                Examples:
                  cairn run \(workflow) --input '{…}'
                  cairn run \(workflow) --input @input.json --id 6f1c2d3e-0000-4000-8000-000000000001
                  echo '{…}' | cairn run \(workflow) --input @-

                With --id of a run that exists already, that run is returned (resumed if it was interrupted) \
                instead of starting a second one.
                """
        )
    }

    @Argument(help: "The workflow's name (see below, or cairn workflows).", completion: Completions.workflows)
    var workflow: String?

    @Option(help: ArgumentHelp("The input as JSON, or @file to read it from a file (@- for standard input). Default: {}.", valueName: "json|@file"))
    var input: String?

    @Option(help: ArgumentHelp("The run's id (a UUID); a new one when absent.", valueName: "run"))
    var id: String?

    @Option(help: ArgumentHelp("Ends the run as timed_out after this many seconds.", valueName: "seconds"), transform: Seconds.parse)
    var timeout: Seconds?

    @Flag(help: "Journal the run and return: a worker (cairn worker, cairn serve) claims and drives it.")
    var detach = false

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func validate() throws {
        if detach, timeout != nil { throw ValidationError("--timeout is not taken with --detach: the run's deadline starts when a worker claims it") }
        guard workflow == nil else { return }
        throw ValidationError("name the workflow to run: \(CairnCLI.workflows.map(\.name).sorted().joined(separator: ", ")) "
            + "(cairn run --help and cairn workflows show their inputs)")
    }

    func run(in environment: CommandEnvironment) async throws {
        let signals = SignalInterrupter(beforeForcedExit: environment.releaseLeasesNow)
        let workflow = self.workflow ?? ""
        let registration = try environment.workflow(named: workflow)
        let json = try InputFile.json(input)
        let runID = try id.map(environment.runID)
        let journal = try await environment.journal()
        let engine = environment.engine(journal)
        let follower = RunFollower(output: environment.output, workflow: workflow, signals: signals, journal: journal,
                                   answer: environment.options.databaseArgument, engine: engine)
        /// The run of this id that exists already, resumed if it was interrupted (exit 3 while a live process owns it).
        func existing(_ runID: RunID, _ summary: RunSummary) async throws -> Never {
            guard summary.workflow == workflow else {
                throw CairnError(.runExists, "run \(runID) exists already and belongs to workflow '\(summary.workflow)'")
            }
            throw ExitCode(await follower.drive(try await registration.resume(engine, runID, false)))
        }
        if detach { return try await enqueue(registration, json, id: runID ?? RunID(), in: journal, environment) }
        if let runID, let summary = try await journal.summary(of: runID) { try await existing(runID, summary) }
        let options = RunOptions(id: runID, timeout: timeout?.duration)
        do {
            throw ExitCode(await follower.drive(try await registration.start(engine, json, options)))
        } catch let error as CairnError where error.code == .runExists {
            // Another process started this id between the look-up and the start: return its run.
            guard let runID, let summary = try await journal.summary(of: runID) else { throw error }
            try await existing(runID, summary)
        }
    }

    /// `--detach`: the run journaled as pending, for a worker.
    private func enqueue(_ registration: WorkflowRegistration, _ json: Data, id: RunID, in journal: any CommandJournal,
                         _ environment: CommandEnvironment) async throws {
        try await journal.enqueue(try registration.queued(json, id, Date()))
        let summary = try await environment.summary(of: id, in: journal)
        if environment.output.json { return environment.output.json(summary) }
        environment.output.line("run \(id) (\(summary.workflow)) is pending: a worker claims it; follow it with cairn follow \(id)"
            + environment.options.databaseArgument)
    }
}
