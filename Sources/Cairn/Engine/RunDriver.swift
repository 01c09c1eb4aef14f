import Foundation
import Logging

/// What a run's caller can ask of its driver.
enum RunControl: Sendable {
    /// Terminal: journal the run as cancelled.
    case cancel
    /// Stop work, let in-flight steps commit for a grace period, leave the run resumable.
    case interrupt
}

/// How a driver stopped.
enum DriverOutcome: Sendable {
    /// The run ended; its end is journaled.
    case finished(RunFinished)
    /// The run was interrupted and stays resumable.
    case interrupted
    /// The journal refused a write; the run stays as the journal last recorded it.
    case journalFailed(any Error)
}

/// Drives one run: journals the state machine's decisions, runs step attempts concurrently, and feeds
/// their commits back to the machine. The machine belongs to the driver's task alone.
///
/// Attempts run in their own tasks rather than in a task group: Swift cannot pre-empt a task, so an
/// attempt that ignores cancellation past its timeout and grace period must be abandoned — the run
/// goes on without it, and its late result is fenced out by (execution, attempt).
struct RunDriver: Sendable {
    var machine: RunStateMachine
    let runID: RunID
    let journal: any Journal
    let configuration: EngineConfiguration
    let logger: Logger
    let signal: ChangeSignal
    let inbox: DriverInbox

    /// The live attempts: their task and context, to cancel and seal them.
    private var attempts: [Int: (task: Task<Void, Never>, context: WorkflowContext)] = [:]
    /// Attempts past their timeout: whatever they return now is recorded as timed out.
    private var timedOut: Set<Int> = []
    private var timers: [Task<Void, Never>] = []
    private var timerAt: Date?
    private var interruptBy: Date?

    init(machine: RunStateMachine, runID: RunID, journal: any Journal, configuration: EngineConfiguration,
         logger: Logger, signal: ChangeSignal, inbox: DriverInbox) {
        self.machine = machine
        self.runID = runID
        self.journal = journal
        self.configuration = configuration
        self.logger = logger
        self.signal = signal
        self.inbox = inbox
    }

    mutating func drive() async -> DriverOutcome {
        let outcome = await driveUntilStopped()
        inbox.close()
        for (task, _) in attempts.values { task.cancel() }
        for timer in timers { timer.cancel() }
        await leasing?.releaseLease(of: runID)
        signal.close()
        return outcome
    }

    private var leasing: (any LeasingJournal)? { journal as? any LeasingJournal }

    private mutating func driveUntilStopped() async -> DriverOutcome {
        if let finished = machine.finished { return .finished(finished) }
        if let leasing { schedule(.renewLease, after: leasing.leaseRenewalInterval) }
        do {
            while true {
                if let outcome = try await step() { return outcome }
            }
        } catch {
            logger.debug("run stopped: the journal refused a write: \(error)")
            return .journalFailed(error)
        }
    }

    /// Starts what is due, then handles what arrived. Returns the outcome once the run stops.
    private mutating func step() async throws -> DriverOutcome? {
        let now = Date()
        if let deadline = interruptBy {
            if machine.running.isEmpty || now >= deadline { return try await interrupt(at: now) }
        } else {
            let decision = machine.decide(at: now)
            if let finish = decision.finish {
                try await journal([.runFinished(finish)])
                logger.debug("run \(finish.status.rawValue)")
                return .finished(finish)
            }
            if !decision.starts.isEmpty {
                try await journal(decision.starts.map { .executionStarted($0) })
                for start in decision.starts { launch(start) }
            }
            if let wake = decision.wakeAt, timerAt.map({ wake < $0 }) ?? true {
                timerAt = wake
                schedule(.timer, at: wake)
            }
        }
        // Everything that finished meanwhile commits in one append (one transaction on a durable journal).
        var finished: [AttemptResult] = []
        for message in await inbox.next() {
            switch message {
            case .attempt(let result):
                if let settled = accept(result) { finished.append(settled) }
            case .timer:
                timerAt = nil
            case .renewLease:
                guard let leasing else { continue }
                if try await leasing.renewLease(of: runID) { inbox.send(.control(.cancel)) }
                schedule(.renewLease, after: leasing.leaseRenewalInterval)
            case .attemptTimedOut(let id, let attempt):
                guard let live = attempts[id], live.context.attempt == attempt else { continue }
                timedOut.insert(id)
                live.task.cancel()
                schedule(.attemptAbandoned(executionID: id, attempt: attempt), after: configuration.cancellationGrace)
            case .attemptAbandoned(let id, let attempt):
                guard let live = attempts[id], live.context.attempt == attempt else { continue }
                let effects = live.context.seal()
                if let settled = accept(AttemptResult(executionID: id, attempt: attempt, outcome: .timedOut, sideEffects: effects.sideEffects)) {
                    finished.append(settled)
                }
            case .control(.cancel):
                _ = try await commit(finished, startingDue: false)
                let finish = RunFinished(status: .cancelled, result: nil, error: .cancelled, at: Date())
                try await journal([.runFinished(finish)])
                return .finished(finish)
            case .control(.interrupt):
                let deadline = Date().addingTimeInterval(configuration.interruptGrace.seconds)
                interruptBy = deadline
                schedule(.timer, at: deadline)
            }
        }
        // The executions these commits make due start in the same append: one fsync per step, not two.
        for start in try await commit(finished, startingDue: interruptBy == nil) { launch(start) }
        return nil
    }

    /// Commit records staged on a copy of the machine, so each record's seqs follow the previous one's.
    private struct Batch {
        var machine: RunStateMachine
        var records: [JournalRecord] = []

        /// Stages an attempt's commit record (its side effects are journaled already).
        mutating func stage(_ result: AttemptResult) throws {
            for effect in result.sideEffects { try machine.apply(.sideEffect(effect)) }
            let record = machine.finishRecord(for: result, at: Date())
            try machine.apply(.executionFinished(record))
            records.append(.executionFinished(record))
        }

        /// Stages the starts of every execution now due; none when the run is about to end.
        mutating func startDue(at now: Date) throws -> [ExecutionStarted] {
            let decision = machine.decide(at: now)
            guard decision.finish == nil else { return [] }
            for start in decision.starts {
                try machine.apply(.executionStarted(start))
                records.append(.executionStarted(start))
            }
            return decision.starts
        }
    }

    /// The result of a live attempt, no longer live; `nil` for an attempt abandoned or fenced out.
    /// An attempt past its timeout counts as timed out, whatever it returned.
    private mutating func accept(_ result: AttemptResult) -> AttemptResult? {
        guard let live = attempts[result.executionID], live.context.attempt == result.attempt else { return nil }
        attempts[result.executionID] = nil
        guard timedOut.remove(result.executionID) != nil else { return result }
        return AttemptResult(executionID: result.executionID, attempt: result.attempt, outcome: .timedOut, sideEffects: result.sideEffects)
    }

    /// Stages the results on a copy of the machine and journals them in one append, with the starts they
    /// make due when `startingDue`; only then does the copy become the run's machine. When the journal
    /// refuses an attempt's commit effect, that attempt becomes a failed one (retried per its policy) and the
    /// batch is staged again: nothing of the refused commit is journaled.
    private mutating func commit(_ results: [AttemptResult], startingDue: Bool) async throws -> [ExecutionStarted] {
        guard !results.isEmpty else { return [] }
        var results = results
        while true {
            var batch = Batch(machine: machine)
            for result in results { try batch.stage(result) }
            let starts = startingDue ? try batch.startDue(at: Date()) : []
            do {
                try await journal.append(batch.records, for: runID)
            } catch let refused as CommitEffectError {
                guard let index = results.firstIndex(where: { $0.executionID == refused.executionID && $0.attempt == refused.attempt }),
                      case .returned = results[index].outcome else { throw refused }
                results[index] = AttemptResult(
                    executionID: refused.executionID, attempt: refused.attempt, outcome: .threw(refused), sideEffects: results[index].sideEffects)
                continue
            }
            machine = batch.machine
            signal.notify()
            for case .executionFinished(let record) in batch.records { logFinish(record) }
            return starts
        }
    }

    private mutating func interrupt(at now: Date) async throws -> DriverOutcome {
        let abandoned = machine.running.keys.sorted()
        try await journal([.runInterrupted(RunInterrupted(abandoned: abandoned, reason: "interrupted by its owner", at: now))])
        logger.debug("run interrupted; \(abandoned.count) attempt(s) abandoned, resumable")
        return .interrupted
    }

    /// Appends to the journal, then applies to the machine: nothing is applied that is not journaled.
    private mutating func journal(_ records: [JournalRecord]) async throws {
        guard !records.isEmpty else { return }
        try await journal.append(records, for: runID)
        for record in records { try machine.apply(record) }
        signal.notify()
    }

    private mutating func schedule(_ message: DriverInbox.Message, at date: Date) {
        schedule(message, after: .seconds(max(0, date.timeIntervalSinceNow)))
    }

    private mutating func schedule(_ message: DriverInbox.Message, after delay: Duration) {
        timers.removeAll { $0.isCancelled }
        timers.append(Task { [inbox] in
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            inbox.send(message)
        })
    }

    private mutating func launch(_ start: ExecutionStarted) {
        guard let (step, triggers, attempt) = machine.runningExecution(start.executionID) else { return }
        logger.debug("step '\(step.name)' started on \(triggers.map { "'\($0.name)'#\($0.seq)" }.joined(separator: ", "))",
                     metadata: [LoggingKeys.executionID: "\(start.executionID)", LoggingKeys.attempt: "\(attempt)"])
        let context = WorkflowContext(
            runID: runID,
            step: step,
            executionID: start.executionID,
            attempt: attempt,
            triggers: triggers.map { ($0.name, $0.seq) },
            randomSeed: randomSeed(step: step, triggers: triggers, execution: start.executionID, attempt: attempt),
            committedStore: machine.store,
            recordedSideEffects: machine.sideEffects[start.executionID] ?? [:],
            logger: logger,
            journalSideEffect: { [journal, runID] effect in try await journal.append([.sideEffect(effect)], for: runID) }
        )
        let events = triggers.compactMap(\.value)
        let task = Task { [inbox] in
            inbox.send(.attempt(await Self.runAttempt(step, events, context)))
        }
        attempts[start.executionID] = (task, context)
        if let timeout = step.options.timeout {
            schedule(.attemptTimedOut(executionID: start.executionID, attempt: attempt), after: timeout)
        }
    }

    /// Runs one attempt's body and seals its context.
    private static func runAttempt(_ step: AnyStep, _ events: [any Event], _ context: WorkflowContext) async -> AttemptResult {
        let result: Result<(any Event)?, any Error>
        do {
            result = .success(try await step.body(events, context))
        } catch {
            result = .failure(error)
        }
        let effects = context.seal()
        let outcome: AttemptResult.Outcome
        switch result {
        case .success(let event):
            do {
                outcome = .returned(try event.map { ($0.eventNameOfInstance, try WorkflowContext.encode($0), $0) }, effects)
            } catch {
                outcome = .threw(error)
            }
        case .failure(let error):
            outcome = .threw(error)
        }
        return AttemptResult(executionID: context.executionID, attempt: context.attempt, outcome: outcome, sideEffects: effects.sideEffects)
    }

    /// Seeded runs: the same seed, step and trigger payloads give the same values. Unseeded runs: a seed
    /// unique to the run, execution and attempt (every value drawn is journaled either way).
    private func randomSeed(step: AnyStep, triggers: [JournaledEvent], execution: Int, attempt: Int) -> UInt64 {
        guard let seed = machine.started?.seed else {
            return SplitMix64.seed(UInt64(truncatingIfNeeded: runID.hashValue), mixing: [Array("\(runID)/\(execution)/\(attempt)".utf8)])
        }
        return SplitMix64.seed(seed, mixing: [Array(step.name.utf8)] + triggers.map { Array($0.payload) })
    }

    private func logFinish(_ record: ExecutionFinished) {
        let metadata: Logger.Metadata = [LoggingKeys.executionID: "\(record.executionID)", LoggingKeys.attempt: "\(record.attempt)"]
        switch record.outcome {
        case .completed:
            let emitted = record.emitted.map { "'\($0.name)'#\($0.seq)" }.joined(separator: ", ")
            logger.debug("step '\(record.step)' completed, emitted \(emitted.isEmpty ? "nothing" : emitted)",
                         metadata: metadata)
        case .failed(let message, let retryAt):
            logger.info("step '\(record.step)' failed: \(message)\(retryAt.map { "; retry at \($0)" } ?? "")", metadata: metadata)
        case .timedOut(let retryAt):
            logger.info("step '\(record.step)' timed out\(retryAt.map { "; retry at \($0)" } ?? "")", metadata: metadata)
        }
    }
}

extension Event {
    /// The persisted name of this value's dynamic type.
    var eventNameOfInstance: String { Self.eventName }
}
