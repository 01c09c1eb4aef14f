import Synchronization

/// The runs one started or resumed run continues as (``WorkflowContext/continueAsNew(_:)``), as this engine
/// drives them: which is driven now, and what its caller asked of the chain.
///
/// It holds the run driven now and nothing of the runs before it, so a chain that runs for months holds as
/// much memory as one run. A request that arrives while a run hands over to its successor is not lost: the
/// successor gets it as it starts.
final class RunChain: Sendable {
    /// One run of the chain and its driver.
    struct Link: Sendable {
        let runID: RunID
        let inbox: DriverInbox
        let signal: ChangeSignal
        /// Set as the driver starts, right after the link joins the chain: before any successor can.
        var task: Task<DriverOutcome, Never>?
    }

    private struct State {
        var current: Link?
        var requests: [RunControl] = []
        /// Who follows the chain's waits (``RunHandle/waits``), and the last wait, for one that comes late.
        var waitObservers: [Int: AsyncStream<(RunID, RunWaiting)>.Continuation] = [:]
        var nextObserver = 0
        var lastWait: (RunID, RunWaiting)?
    }

    private let state = Mutex(State())

    /// The run driven now: the chain's last successor started so far.
    var current: Link? { state.withLock { $0.current } }

    /// A successor (or the first run) is driven now; it gets the requests the chain had. Call before its
    /// driver starts, then ``started(_:)``: a successor joins only once its predecessor's driver has stopped.
    func advance(to link: Link) {
        let requests = state.withLock { state in
            state.current = link
            return state.requests
        }
        for request in requests { link.inbox.send(.control(request)) }
    }

    /// The driver of run `runID` started as `task` (unless the run has handed over to a successor already).
    func started(_ task: Task<DriverOutcome, Never>, for runID: RunID) {
        state.withLock { state in
            if state.current?.runID == runID { state.current?.task = task }
        }
    }

    /// Cancels or interrupts the run driven now, and every successor that starts after.
    func request(_ control: RunControl) {
        let link = state.withLock { state in
            state.requests.append(control)
            return state.current
        }
        link?.inbox.send(.control(control))
    }

    /// The last run of the chain and how its driver stopped, once the chain stops: a run that continued is
    /// followed into its successor.
    func end() async -> (runID: RunID, outcome: DriverOutcome)? {
        guard var link = current else { return nil }
        while true {
            guard let task = link.task else { return nil }
            let outcome = await task.value
            // A successor is linked before its predecessor's driver task returns.
            guard case .finished(let finished) = outcome, finished.status == .continued, let next = current, next.runID != link.runID else {
                return (link.runID, outcome)
            }
            link = next
        }
    }

    /// A run of the chain started waiting.
    func reportWaiting(_ waiting: RunWaiting, of runID: RunID) {
        let observers = state.withLock { state in
            state.lastWait = (runID, waiting)
            return Array(state.waitObservers.values)
        }
        for observer in observers { observer.yield((runID, waiting)) }
    }

    /// Each wait of the chain's runs from now on, beginning with the current one if the run waits now.
    func waits() -> AsyncStream<(RunID, RunWaiting)> {
        let (stream, continuation) = AsyncStream<(RunID, RunWaiting)>.makeStream(bufferingPolicy: .bufferingNewest(16))
        let id = state.withLock { state in
            state.nextObserver += 1
            state.waitObservers[state.nextObserver] = continuation
            if let last = state.lastWait { continuation.yield(last) }
            return state.nextObserver
        }
        continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.waitObservers.removeValue(forKey: id) } }
        return stream
    }

    /// The progress stream of run `runID` of the chain from `position`, followed into its successors.
    func events(of runID: RunID, from position: Int, journal: any Journal) -> RunEventStream {
        let link = current.flatMap { $0.runID == runID ? $0 : nil }
        // A run before the one driven now has stopped: its stream is what its journal holds.
        let signal = link?.signal ?? ChangeSignal.closed
        return RunEventStream(runID: runID, journal: journal, signal: signal, position: position, next: { [self] in
            _ = await link?.task?.value
            guard case .runFinished(let finished)? = try? await journal.records(for: runID).last, let successor = finished.successor else {
                return nil
            }
            return events(of: successor.runID, from: 1, journal: journal)
        })
    }
}
