import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Resume: CairnSubcommand {
    static let configuration = CommandConfiguration(
        abstract: "Resume one run in the foreground, or take over every run whose owner is gone.",
        discussion: """
            A run is resumed from its journal alone: steps that committed never run again; steps that started \
            and never committed run again as their next attempt.

            A run whose journal this binary cannot rebuild (an undecodable payload, an unknown event, a record \
            out of order) is a dead letter: it is journaled failed, with error code unrebuildable and the record \
            at fault, and reported once. A binary with the cause fixed reopens it with --retry-broken.

            Examples:
              cairn resume 6f1c2d3e-0000-4000-8000-000000000001
              cairn resume --all           # runs owned by a live process, or of workflows this binary lacks, are skipped
              cairn resume --all --wait    # waits for those leases to expire, then takes them over too
              cairn resume 6f1c2d3e-0000-4000-8000-000000000001 --retry-broken
            """
    )

    @Argument(help: "The run to resume.", completion: Completions.runs)
    var run: String?

    @Flag(help: "Resume every unfinished run whose lease has expired.")
    var all = false

    @Flag(help: "With --all: wait for runs held by other processes until their leases expire.")
    var wait = false

    @Flag(help: "Reopen a dead letter (a run failed as unrebuildable) once this binary can rebuild it.")
    var retryBroken = false

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func validate() throws {
        if all == (run != nil) { throw ValidationError("Pass a run id or --all, not both and not neither.") }
        if wait && !all { throw ValidationError("--wait goes with --all.") }
        if retryBroken && all { throw ValidationError("--retry-broken goes with one run id.") }
    }

    func run(in environment: CommandEnvironment) async throws {
        let signals = SignalInterrupter(beforeForcedExit: environment.releaseLeasesNow)
        let journal = try await environment.existingJournal()
        let engine = environment.engine(journal)
        if let run {
            var summary = try await environment.summary(of: try environment.runID(run), in: journal)
            // A run that continued as new goes on in its successor: resume the chain's last run.
            while summary.status == .continued, let next = summary.continuedAs, let successor = try await journal.summary(of: next) {
                if !environment.output.json { environment.output.line("run \(summary.runID) continued as \(next)") }
                summary = successor
            }
            let id = summary.runID
            let registration = try environment.workflow(named: summary.workflow)
            let follower = RunFollower(output: environment.output, workflow: summary.workflow, signals: signals, journal: journal,
                                   answer: environment.options.databaseArgument, engine: engine)
            throw ExitCode(await follower.drive(try await registration.resume(engine, id, retryBroken)))
        }
        throw ExitCode(try await resumeAll(journal, engine, environment, signals))
    }

    /// Resumes every unfinished run concurrently; returns 1 when any of them did not complete.
    private func resumeAll(
        _ journal: some InspectableJournal, _ engine: Engine, _ environment: CommandEnvironment, _ signals: SignalInterrupter
    ) async throws -> Int32 {
        let output = environment.output
        var pending = try await journal.allRuns(RunQuery(unfinishedOnly: true, limit: 500))
        var worst: Int32 = 0
        if pending.isEmpty, !output.json { output.line("no unfinished runs") }
        while !pending.isEmpty {
            var held: [RunSummary] = []
            var runs: [(RunSummary, AnyRunHandle)] = []
            for summary in pending {
                do {
                    let registration = try environment.workflow(named: summary.workflow)
                    let run = try await registration.resume(engine, summary.runID, false)
                    signals.attach(run)
                    runs.append((summary, run))
                } catch let error as CairnError where error.code == .runOwned {
                    held.append(summary)
                    if !wait { Self.report(RunOutcome(runID: summary.runID, status: "skipped", error: RunError(error.code, error.message)), output) }
                } catch let error as CairnError where error.code == .unknownWorkflow {
                    // Another binary's run (another package sharing the journal): untouched, and no failure of this one.
                    let reason = "workflow '\(summary.workflow)' is not registered in this binary; resume it with the binary that has it"
                    Self.report(RunOutcome(runID: summary.runID, status: "skipped", error: RunError(error.code, reason)), output)
                } catch let error as CairnError where error.code == .unrebuildable {
                    // A dead letter: journaled failed, reported here once; later --all runs no longer see it.
                    Self.report(RunOutcome(runID: summary.runID, status: RunStatus.failed.rawValue, error: RunError(error.code, error.message)), output)
                } catch {
                    let cairn = error as? CairnError
                    Self.report(RunOutcome(runID: summary.runID, status: "not-resumed",
                                      error: RunError(cairn?.code ?? .journalUnavailable, cairn?.message ?? String(describing: error))), output)
                    worst = Exit.runFailed
                }
            }
            if !runs.isEmpty, !output.json {
                output.line("resuming \(runs.count) run(s): \(runs.map { "\($0.0.runID) (\($0.0.workflow))" }.joined(separator: ", "))")
            }
            worst = max(worst, await finish(runs.map(\.1), journal, output))
            guard wait, !held.isEmpty else { break }
            let soonest = held.compactMap(\.leaseExpiresAt).min() ?? Date()
            if !output.json {
                output.line("waiting for \(held.count) run(s) held by other processes; the first lease expires in "
                    + "\(Int(max(0, soonest.timeIntervalSinceNow).rounded(.up))) s")
            }
            try await Task.sleep(for: .milliseconds(Int64(max(0.2, soonest.timeIntervalSinceNow + 0.2) * 1000)))
            var still: [RunSummary] = []
            for summary in held {
                if let now = try await journal.summary(of: summary.runID), now.finishedAt == nil { still.append(now) }
            }
            pending = still
        }
        // The runs their commits started meanwhile (an order station per published request, a child): to their end too.
        var followed = Set<RunID>()
        while true {
            let started = await engine.startedRuns().filter { followed.insert($0.runID).inserted }
            guard !started.isEmpty else { return worst }
            started.forEach(signals.attach)
            worst = max(worst, await finish(started, journal, output))
        }
    }

    private func finish(_ runs: [AnyRunHandle], _ journal: some InspectableJournal, _ output: Output) async -> Int32 {
        await withTaskGroup(of: Int32.self) { group in
            for run in runs {
                group.addTask {
                    let outcome = await RunFollower.outcome(of: run, startedHere: Date(), in: journal)
                    Self.report(outcome, output)
                    return outcome.completed ? 0 : outcome.interrupted ? Exit.interrupted : Exit.runFailed
                }
            }
            return await group.reduce(0) { max($0, $1) }
        }
    }

    /// One line per run: `RUN  STATUS  (why)`; with --json, the run's outcome.
    private static func report(_ outcome: RunOutcome, _ output: Output) {
        if output.json {
            output.json(outcome)
        } else {
            output.line("\(outcome.runID)  \(outcome.status)\(outcome.error.map { "  (\($0.message))" } ?? "")")
        }
    }
}
