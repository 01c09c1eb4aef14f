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

    /// Returns the exit code for the run's outcome.
    func drive(_ run: AnyRunHandle, started: Date = Date()) async -> Int32 {
        signals.attach(run)
        if !output.json { output.line("run \(run.runID) (\(workflow))") }
        let waits = Task { [output, answer] in await Self.announce(run.waits(), output: output, answer: answer) }
        defer { waits.cancel() }
        do {
            for try await event in run.events { output.progress(event) }
        } catch {
            FileHandle.standardError.write(Data("cairn: reading the run's progress failed: \(error)\n".utf8))
        }
        return output.outcome(await Self.outcome(of: run, startedHere: started, in: journal))
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
