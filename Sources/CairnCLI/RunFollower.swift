import Cairn
import Foundation
import Synchronization

/// Drives a run in the foreground: prints its progress stream, then its outcome. Ctrl-C or SIGTERM
/// interrupt it (in-flight steps get a grace period to commit; the run stays resumable); a second
/// signal exits at once, which is safe: the journal holds everything committed.
struct RunFollower {
    let output: Output
    let workflow: String
    let signals: SignalInterrupter
    /// Where the run's duration is read once it ended: the one definition, finished − started.
    let journal: any InspectableJournal
    /// What a `cairn send` line needs beyond run and event to reach this journal: ` --db PATH`, or nothing.
    var answer = ""
    /// The engine that drives the run: the runs its commits start there are followed too.
    var engine: Engine?

    /// Returns the exit code for the run's outcome.
    func drive(_ run: AnyRunHandle, started: Date = Date()) async -> Int32 {
        signals.attach(run)
        if !output.json { output.line("run \(run.runID) (\(workflow))") }
        let waits = Task { [output, answer] in await Self.announce(run.waits(), output: output, answer: answer) }
        let startedWaits = Task { [output, answer, engine] in
            guard let engine else { return }
            await withDiscardingTaskGroup { group in
                for await started in engine.startedRunStream {
                    group.addTask { await Self.announce(started.waits(), output: output, answer: answer) }
                }
            }
        }
        defer {
            waits.cancel()
            startedWaits.cancel()
        }
        do {
            for try await event in run.events { output.progress(event) }
        } catch {
            FileHandle.standardError.write(Data("cairn: reading the run's progress failed: \(error)\n".utf8))
        }
        let outcome = await Self.outcome(of: run, startedHere: started, in: journal)
        await followStartedRuns()
        return output.outcome(outcome)
    }

    /// Follows the runs that the run's commits started in this process — an order station per published trade
    /// request, a child started without waiting — to their end, in the order they were taken: their progress and
    /// how each ended, their waits announced like the run's own. Ctrl-C interrupts them too (resumable).
    private func followStartedRuns() async {
        guard let engine else { return }
        var followed = Set<RunID>()
        while true {
            let fresh = await engine.startedRuns().filter { !followed.contains($0.runID) }
            guard !fresh.isEmpty else { return }
            for run in fresh {
                followed.insert(run.runID)
                signals.attach(run)
                let end = await run.end()
                guard !output.json, let summary = try? await journal.summary(of: run.runID) else { continue }
                output.line("run \(run.runID) (\(summary.workflow)), started by run \(summary.parentRunID?.description ?? "?")")
                for event in (try? await journal.streamedEvents(for: run.runID, from: 1, limit: 1000)) ?? [] { output.progress(event) }
                output.line("  " + Self.describe(end, of: run.runID))
            }
        }
    }

    /// How a run this process followed ended, in a few words.
    private static func describe(_ end: RunEnd, of run: RunID) -> String {
        switch end {
        case .completed: "completed"
        case .ended(let status, let error): "\(status.rawValue): \(error.message)"
        case .interrupted: "interrupted; resume it with: cairn resume \(run)"
        case .journalFailed(let error): "stopped: the journal refused a write (\(error))"
        }
    }

    /// Says, each time the run starts waiting, how to answer it: the exact `cairn send` line per event that
    /// would wake it (on stderr, so `--json` output stays one document).
    private static func announce(_ waits: AsyncStream<(RunID, RunWaiting)>, output: Output, answer: String) async {
        for await (runID, waiting) in waits where !waiting.events.isEmpty {
            var lines = ["cairn: run \(runID) is waiting for \(waiting.reasons.joined(separator: "; ")); answer it from another terminal:"]
            lines += waiting.events.map { "  cairn send \(runID) \($0) --payload '{…}'\(answer)" }
            lines.append("  (Ctrl-C leaves it waiting: `cairn resume` or a worker picks it up after.)")
            FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
    }

    /// How a run driven here ended, with its duration as the journal defines it (finished − started); the time
    /// this process drove it only when the journal cannot say.
    static func outcome(of run: AnyRunHandle, startedHere started: Date, in journal: some InspectableJournal) async -> RunOutcome {
        let end = await run.end()
        // A run that continued as new ended in its last successor: that run is the one to resume or show.
        let last = await run.lastRunID
        let seconds = (try? await journal.summary(of: last))??.durationSeconds ?? Date().timeIntervalSince(started)
        return RunOutcome(runID: last, end: end, seconds: seconds)
    }
}

/// Turns SIGINT and SIGTERM into an interrupt of the runs being driven. Installed before any work starts,
/// so a signal that arrives before a run exists is kept and applied once it does; a second signal exits
/// at once.
///
/// A plain `sigaction` handler writes the signal to a pipe that a dedicated thread reads: unlike a
/// dispatch signal source, it sees the signal whichever thread of the process the kernel delivers it to.
final class SignalInterrupter: Sendable {
    private struct State {
        var runs: [AnyRunHandle] = []
        var signalled = false
    }

    private let state = Mutex(State())
    private let beforeForcedExit: @Sendable () -> Void

    /// - Parameter beforeForcedExit: run on the second signal, before the process exits without waiting
    ///   for its runs (the CLI gives up their leases, so a resumer need not wait for them to expire).
    init(beforeForcedExit: @escaping @Sendable () -> Void = {}) {
        self.beforeForcedExit = beforeForcedExit
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        signalPipe = fds[1]
        let reader = fds[0]
        for number in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.sa_flags = SA_RESTART
            action.__sigaction_handler.sa_handler = { _ in
                var byte: UInt8 = 1
                _ = write(signalPipe, &byte, 1)
            }
            sigaction(number, &action, nil)
        }
        let thread = Thread { [self] in
            // A parent may have spawned us with these signals blocked (the mask is inherited across exec):
            // this thread accepts them, so a process-directed signal always reaches the handler.
            var signals = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGINT)
            sigaddset(&signals, SIGTERM)
            pthread_sigmask(SIG_UNBLOCK, &signals, nil)
            var byte: UInt8 = 0
            while true {
                let count = read(reader, &byte, 1)
                if count == 1 {
                    received()
                } else if count < 0, errno == EINTR {
                    continue  // the signal landed on this very thread, interrupting the read
                } else {
                    return
                }
            }
        }
        thread.name = "cairn-signals"
        thread.start()
    }

    /// Interrupts `run` on the next signal, or at once when one came already.
    func attach(_ run: AnyRunHandle) {
        let interruptNow = state.withLock { state in
            state.runs.append(run)
            return state.signalled
        }
        if interruptNow { interrupt(run) }
    }

    private func received() {
        let (runs, again) = state.withLock { state in
            defer { state.signalled = true }
            return (state.runs, state.signalled)
        }
        if again {
            beforeForcedExit()
            exit(Exit.interrupted)
        }
        runs.forEach(interrupt)
    }

    private func interrupt(_ run: AnyRunHandle) {
        FileHandle.standardError.write(Data("cairn: interrupting run \(run.runID): in-flight steps may commit, then it stops, resumable\n".utf8))
        run.interrupt()
    }
}

/// The write end of the signal pipe, for the async-signal-safe handler (which cannot capture context).
/// Set once, before the handlers are installed.
nonisolated(unsafe) private var signalPipe: Int32 = -1
