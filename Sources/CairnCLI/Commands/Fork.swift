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

            Instead of --at SEQ: --from-failure forks at the trigger of the run's last failed (or timed-out) \
            execution, so the fork runs it afresh under today's code; --step NAME at the trigger of that step's \
            first execution.

            Examples:
              cairn fork 6f1c2d3e-0000-4000-8000-000000000001 --at 8 --input-patch '{"decision": "Bad"}'
              cairn fork 6f1c2d3e-0000-4000-8000-000000000001 --at 1 --input-patch '{"input": {"cycles": 5}}'
              cairn fork 6f1c2d3e-0000-4000-8000-000000000001 --from-failure
              cairn fork 6f1c2d3e-0000-4000-8000-000000000001 --step trading_decision
            """
    )

    @Argument(help: "The run to fork.", completion: Completions.runs)
    var run: String

    @Option(parsing: .unconditional, help: ArgumentHelp("The event seq to fork at.", valueName: "seq"))
    var at: Int?

    @Flag(help: "Fork at the trigger of the last failed or timed-out execution.")
    var fromFailure = false

    @Option(help: ArgumentHelp("Fork at the trigger of this step's first execution.", valueName: "name"))
    var step: String?

    @Option(help: ArgumentHelp("A JSON merge patch for the payload of event SEQ.", valueName: "json"))
    var inputPatch: String?

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func validate() throws {
        guard [at != nil, fromFailure, step != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("say where to fork with one of --at SEQ, --from-failure or --step NAME")
        }
        if let at, at < 1 { throw ValidationError("--at takes an event seq, 1 or more; \(at) is not one") }
    }

    private var point: ForkPoint {
        if let at { return .seq(at) }
        if let step { return .firstExecution(ofStep: step) }
        return .lastFailure
    }

    func run(in environment: CommandEnvironment) async throws {
        let signals = SignalInterrupter(beforeForcedExit: environment.releaseLeasesNow)
        let id = try environment.runID(run)
        let journal = try await environment.existingJournal()
        let summary = try await environment.summary(of: id, in: journal)
        let registration = try environment.workflow(named: summary.workflow)
        let engine = environment.engine(journal)
        let (fork, seq, note) = try await registration.fork(engine, id, point, inputPatch.map { Data($0.utf8) })
        if let note { FileHandle.standardError.write(Data("cairn: note: \(note)\n".utf8)) }
        if !environment.output.json { environment.output.line("fork \(fork.runID) of run \(id) at seq \(seq)") }
        let follower = RunFollower(output: environment.output, workflow: summary.workflow, signals: signals, journal: journal,
                                   answer: environment.options.databaseArgument, engine: engine)
        throw ExitCode(await follower.drive(fork))
    }
}
