import Foundation
import Logging
import Synchronization

/// Waits inside steps (``WorkflowContext/waitFor(_:where:timeout:)``), as the driver serves them: every
/// change goes through the driver's inbox, so waits are journaled in order with the run's commits.
extension RunDriver {
    /// What the context of attempt `attempt` of `execution` calls to wait: it hands the wait to the driver and
    /// suspends until the driver resumes it with the answer, a timeout or a cancellation.
    static func waiter(execution: Int, attempt: Int, inbox: DriverInbox) -> @Sendable (WaitRequest) async throws -> Data {
        { request in
            let cancelled = CancelFlag()
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    inbox.send(.openWait(DriverInbox.WaitCall(
                        executionID: execution, attempt: attempt, request: request, continuation: continuation, cancelled: cancelled.isSet)))
                }
            } onCancel: {
                cancelled.set()
                inbox.send(.waitCancelled(executionID: execution, attempt: attempt))
            }
        }
    }

    /// Opens a wait: answered at once by an event received earlier that nothing took, else journaled open and
    /// kept until its answer, its deadline (``RunStateMachine/decide(at:)``) or the end of its attempt.
    func openWait(_ call: DriverInbox.WaitCall) async throws {
        guard machine.running[call.executionID]?.attempt == call.attempt, !call.cancelled() else {
            return call.continuation.resume(throwing: CancellationError())
        }
        let wait = WaitRef(executionID: call.executionID, key: call.request.key)
        do {
            if let kept = machine.parked.first(where: { $0.name == call.request.name && ($0.value.map(call.request.matches) ?? false) }) {
                try await journal([.waitAnswered(WaitAnswered(wait: wait, seq: kept.seq, at: clock.now))])
                return call.continuation.resume(returning: kept.payload)
            }
            try await journal([.waitOpened(WaitOpened(
                wait: wait, attempt: call.attempt, name: call.request.name, deadline: call.request.deadline, at: clock.now))])
        } catch {
            call.continuation.resume(throwing: error)
            throw error
        }
        liveWaits[call.executionID] = call
        logger.debug("step waits for '\(call.request.name)'\(call.request.deadline.map { " until \($0)" } ?? "")")
    }

    /// The waits that `events`, in order, answer: each event the first live wait it matches, one event per wait.
    func answering(_ events: [JournaledEvent]) -> [JournaledEvent] {
        var taken: Set<Int> = []
        return events.map { event in
            guard let value = event.value,
                  let call = liveWaits.values.sorted(by: { $0.executionID < $1.executionID }).first(where: {
                      !taken.contains($0.executionID) && $0.request.name == event.name && $0.request.matches(value)
                  }) else { return event }
            taken.insert(call.executionID)
            return JournaledEvent(seq: event.seq, name: event.name, payload: event.payload, executionID: nil, inboxSeq: event.inboxSeq,
                                  answers: WaitRef(executionID: call.executionID, key: call.request.key), value: value)
        }
    }

    /// Resumes the waits that journaled `events` answered, with their answers.
    func resumeAnswered(by events: [JournaledEvent]) {
        for event in events {
            guard let wait = event.answers, let call = liveWaits[wait.executionID], call.request.key == wait.key else { continue }
            liveWaits[wait.executionID] = nil
            call.continuation.resume(returning: event.payload)
        }
    }

    /// Resumes the waits whose deadline passed, journaled in `fired`, with ``WaitTimedOut``.
    func resumeTimedOut(_ fired: TimersFired) {
        for wait in fired.waits {
            guard let call = liveWaits[wait.executionID], call.request.key == wait.key else { continue }
            liveWaits[wait.executionID] = nil
            call.continuation.resume(throwing: WaitTimedOut(event: call.request.name, deadline: call.request.deadline ?? fired.at))
        }
    }

    /// Resumes, cancelled, the live waits `cancelled` says yes to: nothing will answer them.
    func cancelWaits(where cancelled: (DriverInbox.WaitCall) -> Bool) {
        for (id, call) in liveWaits where cancelled(call) {
            liveWaits[id] = nil
            call.continuation.resume(throwing: CancellationError())
        }
    }
}

/// A flag set once, from any thread: whether a waiting task was cancelled.
final class CancelFlag: Sendable {
    private let flag = Mutex(false)

    func set() { flag.withLock { $0 = true } }

    var isSet: @Sendable () -> Bool { { [flag = self] in flag.flag.withLock { $0 } } }
}
