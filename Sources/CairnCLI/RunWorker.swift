import Cairn
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Claims and drives every runnable run of a journal, a number at a time (`cairn worker`): runs whose owner
/// is gone once their lease expires (at once when the owner is provably dead), waiting runs whose event or
/// timer has come. Each claim is a fenced lease takeover, so several workers on one journal never drive a
/// run twice. A run that starts waiting is let go (interrupted, resumable; its waits cost no retry), so a
/// waiting run holds no slot (contract 12). On graceful shutdown its runs are interrupted and it returns.
struct RunWorker: Service {
    let journal: any ClaimingJournal & InboxJournal
    /// The journal's location, as messages say it (a URL's password redacted).
    let location: String
    let engine: Engine
    let workflows: [WorkflowRegistration]
    let concurrency: Int
    /// How often it looks for runs whose lease expired (nothing else tells it); an event or a commit by
    /// another process, and a run of its own ending, make it look at once.
    let poll: Duration
    let logger: Logger

    func run() async throws {
        let active = ActiveRuns()
        let leftOut = RunsLeftOut()
        // Said once the service group handles SIGTERM and SIGINT: from here on, they stop the worker cleanly.
        logger.info("worker \(journal.owner) on \(location), \(concurrency) run(s) at a time")
        if stoppedBeforeStart.load(ordering: .relaxed) {
            logger.info("worker stopped before it claimed anything: a signal came as it started")
            return
        }
        await cancelWhenGracefulShutdown {
            var outage = JournalOutage(poll: poll)
            while !Task.isCancelled {
                var nextWake: Date?
                do {
                    nextWake = try await claim(into: active, leaving: leftOut)
                    if let failures = outage.ended() { logger.info("the journal answers again after \(failures) failed look(s); claiming resumes") }
                } catch {
                    if Task.isCancelled { break }  // shutting down: the look was cancelled, nothing failed
                    let retry = outage.failed()
                    logger.warning("looking for runs to claim failed: \(error); trying again in \(DurationText.format(retry.seconds))")
                    await journal.waitForChange(upTo: retry)  // at once when the journal's notifications reconnect
                    continue
                }
                let untilWake = nextWake.map { Duration.seconds(max(0, $0.timeIntervalSinceNow) + 0.01) } ?? poll  // just after it falls due
                await journal.waitForChange(upTo: min(poll, untilWake))
            }
        }
        let handles = active.all
        if !handles.isEmpty { logger.info("shutting down: interrupting \(handles.count) run(s); they stay resumable") }
        for handle in handles { handle.interrupt() }
        await active.waitUntilEmpty()
    }

    /// Claims what it has room for; returns when the next waiting run falls due.
    private func claim(into active: ActiveRuns, leaving leftOut: RunsLeftOut) async throws -> Date? {
        let room = concurrency - active.count
        guard room > 0 else { return nil }
        // Only as many as it drives, of the workflows it has: on PostgreSQL the listing takes the leases.
        let claimable = try await journal.claimableRuns(limit: room, workflows: workflows.map(\.name),
                                                        excluding: active.runIDs.union(leftOut.runIDs(at: .now)))
        for (runID, workflow) in claimable.runs {
            guard let registration = workflows.first(where: { $0.name == workflow }) else { continue }
            do {
                let handle = try await registration.claim(engine, runID)
                active.add(handle)
                logger.info("claimed run \(runID) (\(workflow))")
                Task { await follow(handle, workflow: workflow, in: active) }
            } catch let error as CairnError where error.code == .runOwned || error.code == .runEnded {
                continue  // another worker claimed it first, or finished it since it was listed
            } catch let error as CairnError where error.code == .fingerprintMismatch {
                leftOut.forGood(runID)
                logger.warning("run \(runID) (\(workflow)) is left to a worker that can drive it: \(error.message)")
            } catch {
                let retry = leftOut.forAWhile(runID, poll: poll)
                logger.error("could not resume run \(runID) (\(workflow)): \(error); trying it again in \(DurationText.format(retry.seconds))")
            }
        }
        return claimable.nextWake
    }

    /// Lets go of the run when it starts waiting, and reports how it stopped.
    private func follow(_ handle: AnyRunHandle, workflow: String, in active: ActiveRuns) async {
        let letGo = Task {
            for await (runID, waiting) in handle.waits() {
                logger.info("run \(runID) waits for \(waiting.reasons.joined(separator: "; ")); let go until it is due")
                handle.interrupt()
                return
            }
        }
        let end = await handle.end()
        letGo.cancel()
        active.remove(handle.runID)
        switch end {
        case .completed: logger.info("run \(handle.runID) (\(workflow)) completed")
        case .ended(let status, let error): logger.info("run \(handle.runID) (\(workflow)) ended \(status.rawValue): \(error.message)")
        case .interrupted: logger.debug("run \(handle.runID) (\(workflow)) let go, resumable")
        case .journalFailed(let error): logger.error("run \(handle.runID) (\(workflow)) stopped: the journal refused a write: \(error)")
        }
    }
}

extension RunWorker {
    /// A worker over the command's journal, on an engine that leaves the runs its runs start to the worker's
    /// claims, logging at info under `label` (`cairn worker`, and `cairn serve`, which drives its API's runs on the
    /// same engine: a run is driven once in a process).
    static func forCommand(_ environment: CommandEnvironment, label: String, concurrency: Int, poll: Duration) async throws -> RunWorker {
        let journal = try await environment.journal()
        var logger = Logger(label: label)
        logger.logLevel = min(logger.logLevel, .info)
        let engine = environment.engine(journal, logger: logger, drivingStartedRuns: false)
        return RunWorker(journal: journal, location: environment.journalPath, engine: engine, workflows: CairnCLI.workflows,
                         concurrency: concurrency, poll: poll, logger: logger)
    }
}

/// The worker's looks for runs failing one after another — the journal's server gone away, say: it looks again
/// after its poll, then after twice as long each time, up to ``longest``.
struct JournalOutage {
    let poll: Duration
    static let longest = Duration.seconds(10)
    private(set) var failures = 0

    /// Counts a failed look; returns how long to wait before the next.
    mutating func failed() -> Duration {
        failures += 1
        return Self.backoff(after: failures, poll: poll)
    }

    /// The wait after `failures` failures in a row: `poll`, then twice as long each time, up to ``longest``.
    static func backoff(after failures: Int, poll: Duration) -> Duration {
        RetryPolicy(maxAttempts: .max, initialBackoff: poll, maxBackoff: max(poll, longest)).backoff(after: failures)
    }

    /// Counts a look that succeeded; returns how many failed before it, when any did.
    mutating func ended() -> Int? {
        defer { failures = 0 }
        return failures > 0 ? failures : nil
    }
}

/// Runs a worker could not resume, left out of its claims (each failure lets the run's lease go, which wakes every
/// worker: claimed again at once, one run would keep a worker busy failing). For good when this binary cannot drive
/// the run — another version of its workflow started it, and a worker that has that version takes it; otherwise
/// for the worker's poll, doubling with each failure up to ``JournalOutage/longest``.
final class RunsLeftOut: Sendable {
    private struct Absence {
        var until: ContinuousClock.Instant?
        var failures: Int
    }

    private let runs = Mutex<[RunID: Absence]>([:])

    /// The runs left out at `now`.
    func runIDs(at now: ContinuousClock.Instant) -> Set<RunID> {
        runs.withLock { runs in Set(runs.filter { $0.value.until.map { $0 > now } ?? true }.keys) }
    }

    func forGood(_ run: RunID) {
        runs.withLock { $0[run] = Absence(until: nil, failures: 1) }
    }

    /// Leaves `run` out for a while; returns how long.
    func forAWhile(_ run: RunID, poll: Duration) -> Duration {
        runs.withLock { runs in
            let failures = (runs[run]?.failures ?? 0) + 1
            let wait = JournalOutage.backoff(after: failures, poll: poll)
            runs[run] = Absence(until: .now + wait, failures: failures)
            return wait
        }
    }
}

/// The runs a worker drives now.
final class ActiveRuns: Sendable {
    private struct State {
        var runs: [RunID: AnyRunHandle] = [:]
        var emptyWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    var count: Int { state.withLock { $0.runs.count } }
    var all: [AnyRunHandle] { state.withLock { Array($0.runs.values) } }

    var runIDs: Set<RunID> { state.withLock { Set($0.runs.keys) } }

    func add(_ handle: AnyRunHandle) { state.withLock { $0.runs[handle.runID] = handle } }

    func remove(_ run: RunID) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.runs[run] = nil
            guard state.runs.isEmpty else { return [] }
            defer { state.emptyWaiters = [] }
            return state.emptyWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func waitUntilEmpty() async {
        await withCheckedContinuation { continuation in
            let empty = state.withLock { state in
                if state.runs.isEmpty { return true }
                state.emptyWaiters.append(continuation)
                return false
            }
            if empty { continuation.resume() }
        }
    }
}
