import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Resume one run in the foreground, or take over every run whose owner is gone.",
        discussion: """
            A run is resumed from its journal alone: steps that committed never run again; steps that started \
            and never committed run again as their next attempt.

            Examples:
              cairn resume 6f1c2d3e-0000-4000-8000-000000000001
              cairn resume --all           # runs still owned by a live process are reported as skipped
              cairn resume --all --wait    # waits for those leases to expire, then takes them over too
            """
    )

    @Argument(help: "The run to resume.")
    var run: String?

    @Flag(help: "Resume every unfinished run whose lease has expired.")
    var all = false

    @Flag(help: "With --all: wait for runs held by other processes until their leases expire.")
    var wait = false

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func validate() throws {
        if all == (run != nil) { throw ValidationError("Pass a run id or --all, not both and not neither.") }
        if wait && !all { throw ValidationError("--wait goes with --all.") }
    }

    func run() async throws {
        let environment = try CommandEnvironment(options, root: root.global)
        let signals = SignalInterrupter()
        do {
            let journal = try environment.existingJournal()
            let engine = environment.engine(journal)
            if let run {
                let id = try environment.runID(run)
                guard let summary = try await journal.run(id) else { throw CairnError(.runNotFound, "no run \(id) in \(journal.path)") }
                let registration = try environment.workflow(named: summary.workflow)
                let follower = RunFollower(output: environment.output, workflow: summary.workflow, signals: signals)
                throw ExitCode(await follower.drive(try await registration.resume(engine, id)))
            }
            throw ExitCode(try await resumeAll(journal, engine, environment, signals))
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw Exit.fail(error)
        }
    }

    /// Resumes every unfinished run concurrently; returns 1 when any of them did not complete.
    private func resumeAll(
        _ journal: SQLiteJournal, _ engine: Engine, _ environment: CommandEnvironment, _ signals: SignalInterrupter
    ) async throws -> Int32 {
        let output = environment.output
        var pending = try await journal.runs().filter { !$0.status.isTerminal }
        var worst: Int32 = 0
        if pending.isEmpty, !output.json { output.line("no unfinished runs") }
        while !pending.isEmpty {
            var held: [RunSummary] = []
            var runs: [(RunSummary, ErasedRun)] = []
            for summary in pending {
                let id = try environment.runID(summary.runID)
                do {
                    let registration = try environment.workflow(named: summary.workflow)
                    let run = try await registration.resume(engine, id)
                    signals.attach(run)
                    runs.append((summary, run))
                } catch let error as CairnError where error.code == .runOwned {
                    held.append(summary)
                    if !wait { report(summary.runID, "skipped", error.message, output) }
                } catch {
                    report(summary.runID, "not resumed", String(describing: error), output)
                    worst = Exit.runFailed
                }
            }
            if !runs.isEmpty, !output.json {
                output.line("resuming \(runs.count) run(s): \(runs.map { "\($0.0.runID) (\($0.0.workflow))" }.joined(separator: ", "))")
            }
            worst = max(worst, await finish(runs, output))
            guard wait, !held.isEmpty else { break }
            let soonest = held.compactMap(\.leaseExpiresAt).min() ?? Date()
            if !output.json {
                output.line("waiting for \(held.count) run(s) held by other processes; the first lease expires in "
                    + "\(Int(max(0, soonest.timeIntervalSinceNow).rounded(.up))) s")
            }
            try await Task.sleep(for: .milliseconds(Int64(max(0.2, soonest.timeIntervalSinceNow + 0.2) * 1000)))
            let still = Set(held.map(\.runID))
            pending = try await journal.runs().filter { still.contains($0.runID) && !$0.status.isTerminal }
        }
        return worst
    }

    private func finish(_ runs: [(RunSummary, ErasedRun)], _ output: Output) async -> Int32 {
        await withTaskGroup(of: Int32.self) { group in
            for (summary, run) in runs {
                group.addTask {
                    switch await run.outcome() {
                    case .completed:
                        report(summary.runID, "completed", nil, output)
                        return 0
                    case .ended(let status, let error):
                        report(summary.runID, status.rawValue, error.message, output)
                        return Exit.runFailed
                    case .interrupted:
                        report(summary.runID, "interrupted", nil, output)
                        return Exit.interrupted
                    case .journalFailed(let error):
                        report(summary.runID, "failed", String(describing: error), output)
                        return Exit.runFailed
                    }
                }
            }
            return await group.reduce(0) { max($0, $1) }
        }
    }

    private func report(_ run: String, _ status: String, _ detail: String?, _ output: Output) {
        if output.json {
            var object: [String: Any] = ["runId": run, "status": status]
            if let detail { object["detail"] = detail }
            output.json(object)
        } else {
            output.line("\(run)  \(status)\(detail.map { "  (\($0))" } ?? "")")
        }
    }
}
