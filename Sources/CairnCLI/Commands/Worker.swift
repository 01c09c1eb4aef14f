import ArgumentParser
import Cairn
import CairnSQLite
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

struct Worker: CairnSubcommand {
    static let configuration = CommandConfiguration(
        abstract: "Claim and drive every runnable run of the journal, until stopped.",
        discussion: """
            A long-lived process: it takes over runs whose owner is gone (once their lease expires, or at once \
            when the owner was a process of this host that no longer runs), and waiting runs whose event was \
            sent or whose timer fell due — never a run a live process holds. Each claim is a fenced lease \
            takeover, so any number of workers can share a journal and no run is driven twice. A run that starts \
            waiting is let go until something wakes it, so waiting runs hold no slot.

            SIGTERM or SIGINT interrupts its runs (they stay resumable), gives up their leases and exits 0. It \
            logs one line per claim and per end at --log-level info (its default).

            Examples:
              cairn worker
              cairn worker --concurrency 16 --poll 0.5
            """
    )

    @Option(help: ArgumentHelp("How many runs it drives at once.", valueName: "n"))
    var concurrency = 8

    @Option(help: ArgumentHelp("Seconds between looks for runs whose lease expired (sends and commits of other processes wake it at once).",
                               valueName: "seconds"), transform: Seconds.parse)
    var poll: Seconds = Seconds("1")!

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func validate() throws {
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1, not \(concurrency).") }
    }

    func run(in environment: CommandEnvironment) async throws {
        // A SIGTERM or SIGINT before the service group traps them (it does before starting the worker) is kept
        // and stops the worker as it starts, rather than killing the process.
        for number in [SIGTERM, SIGINT] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in stoppedBeforeStart.store(true, ordering: .relaxed) }
            sigaction(number, &action, nil)
        }
        CrashPoint.reach("worker-start")
        let worker = try await RunWorker.forCommand(environment, label: "cairn.worker", concurrency: concurrency, poll: poll.duration)
        // The worker returns on its own only when a signal came as it started: that is a clean stop, not a failure.
        let group = ServiceGroup(configuration: .init(services: [.init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup)],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: worker.logger))
        try await group.run()
        worker.logger.info("worker stopped")
    }
}

/// Set by a SIGTERM or SIGINT that came before the worker's service group trapped them.
let stoppedBeforeStart = Atomic<Bool>(false)
