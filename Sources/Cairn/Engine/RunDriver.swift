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

/// Drives one run: journals the state machine's decisions, runs step attempts concurrently,
/// and feeds their commits back to the machine. The machine is owned by this one task.
struct RunDriver: Sendable {
    var machine: RunStateMachine
    let runID: RunID
    let journal: any Journal
    let configuration: EngineConfiguration
    let logger: Logger
    let signal: ChangeSignal
    let control: AsyncStream<RunControl>

    private enum Input: Sendable {
        case attempt(AttemptResult)
        case timer(Date)
        case control(RunControl?)
    }

    mutating func drive() async -> DriverOutcome {
        defer { signal.close() }
        if let finished = machine.finished { return .finished(finished) }
        return await withTaskGroup(of: Input.self) { group in
            group.addTask { [control] in
                for await message in control { return .control(message) }
                return .control(nil)
            }
            defer { group.cancelAll() }
            do {
                return try await loop(&group)
            } catch {
                logger.debug("run stopped: the journal refused a write: \(error)")
                return .journalFailed(error)
            }
        }
    }

    private mutating func loop(_ group: inout TaskGroup<Input>) async throws -> DriverOutcome {
        var timerAt: Date?
        var interruptBy: Date?
        while true {
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
                    for start in decision.starts { launch(start, in: &group) }
                }
                if let wake = decision.wakeAt, timerAt.map({ wake < $0 }) ?? true {
                    timerAt = wake
                    group.addTask {
                        try? await Task.sleep(for: .seconds(max(0, wake.timeIntervalSinceNow)))
                        return .timer(wake)
                    }
                }
            }
            switch await group.next() {
            case .attempt(let result):
                guard machine.running[result.executionID]?.attempt == result.attempt else { continue }
                for effect in result.sideEffects { try machine.apply(.sideEffect(effect)) }  // journaled already
                let record = machine.finishRecord(for: result, at: Date())
                logFinish(record)
                try await journal([.executionFinished(record)])
            case .timer(let at):
                if timerAt == at { timerAt = nil }
            case .control(.cancel):
                let error = RunError(.cancelled, "run was cancelled; cancelling is final. Start a new run to do the work again.")
                let finish = RunFinished(status: .cancelled, result: nil, error: error, at: Date())
                try await journal([.runFinished(finish)])
                return .finished(finish)
            case .control(.interrupt):
                let deadline = Date().addingTimeInterval(configuration.interruptGrace.seconds)
                interruptBy = deadline
                group.addTask {
                    try? await Task.sleep(for: .seconds(max(0, deadline.timeIntervalSinceNow)))
                    return .timer(deadline)
                }
            case .control(nil), nil:
                continue
            }
        }
    }

    private mutating func interrupt(at now: Date) async throws -> DriverOutcome {
        let abandoned = machine.running.keys.sorted()
        try await journal([.runInterrupted(RunInterrupted(abandoned: abandoned, reason: "interrupted by its owner", at: now))])
        logger.debug("run interrupted; \(abandoned.count) attempt(s) abandoned, resumable")
        return .interrupted
    }

    /// Appends to the journal, then to the machine: nothing is applied that is not journaled.
    private mutating func journal(_ records: [JournalRecord]) async throws {
        try await journal.append(records, for: runID)
        for record in records { try machine.apply(record) }
        signal.notify()
    }

    private func launch(_ start: ExecutionStarted, in group: inout TaskGroup<Input>) {
        guard let (step, triggers, attempt) = machine.runningExecution(start.executionID) else { return }
        logger.debug("step '\(step.name)' started on \(triggers.map { "'\($0.name)'#\($0.seq)" }.joined(separator: ", "))",
                     metadata: [LoggingKeys.executionID: "\(start.executionID)", LoggingKeys.attempt: "\(attempt)"])
        let context = WorkflowContext(
            runID: runID,
            step: step,
            executionID: start.executionID,
            attempt: attempt,
            triggers: triggers.map { ($0.name, $0.seq) },
            randomSeed: randomSeed(step: step, triggers: triggers),
            committedStore: machine.store,
            recordedSideEffects: machine.sideEffects[start.executionID] ?? [:],
            logger: logger,
            journalSideEffect: { [journal, runID] effect in try await journal.append([.sideEffect(effect)], for: runID) }
        )
        let events = triggers.compactMap(\.value)
        let grace = configuration.cancellationGrace
        group.addTask {
            .attempt(await Self.runAttempt(step, events, context, grace: grace))
        }
    }

    /// Runs one attempt in its own task, so that an attempt ignoring cancellation past its timeout
    /// and grace period can be abandoned; its late effects are sealed out.
    private static func runAttempt(
        _ step: AnyStep, _ events: [any Event], _ context: WorkflowContext, grace: Duration
    ) async -> AttemptResult {
        let done = Completion<Result<(any Event)?, any Error>>()
        let task = Task {
            do {
                done.resolve(.success(try await step.body(events, context)))
            } catch {
                done.resolve(.failure(error))
            }
        }
        let result = await done.value(within: step.options.timeout)
        if result == nil {
            task.cancel()
            if !Task.isCancelled { _ = await done.value(within: grace) }
        }
        let effects = context.seal()
        let outcome: AttemptResult.Outcome
        switch result {
        case .success(let event)?:
            do {
                let returned = try event.map { ($0.eventNameOfInstance, try WorkflowContext.encode($0), $0) }
                outcome = .returned(returned, effects)
            } catch {
                outcome = .threw(error)
            }
        case .failure(let error)?:
            outcome = .threw(error)
        case nil:
            outcome = .timedOut
        }
        return AttemptResult(executionID: context.executionID, attempt: context.attempt, outcome: outcome, sideEffects: effects.sideEffects)
    }

    private func randomSeed(step: AnyStep, triggers: [JournaledEvent]) -> UInt64 {
        guard let seed = machine.started?.seed else { return UInt64.random(in: .min ... .max) }
        return SplitMix64.seed(seed, mixing: [Array(step.name.utf8)] + triggers.map { Array($0.payload) })
    }

    private func logFinish(_ record: ExecutionFinished) {
        let metadata: Logger.Metadata = [LoggingKeys.executionID: "\(record.executionID)", LoggingKeys.attempt: "\(record.attempt)"]
        switch record.outcome {
        case .completed:
            logger.debug("step '\(record.step)' completed, emitted \(record.emitted.map { "'\($0.name)'#\($0.seq)" })",
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
