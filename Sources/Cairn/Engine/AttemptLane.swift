import Synchronization

/// The task that runs attempts of one run one after another: the one it was made for, then each that its
/// commits hand it. Cancelling the lane cancels the attempt it runs now (a cancelled task runs no further
/// attempt: cancellation cannot be taken back).
final class AttemptLane: Sendable {
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Starts a lane running `launch` and every attempt handed to it after.
    static func start(_ launch: RunDriver.Launch, inbox: DriverInbox) -> AttemptLane {
        let lane = AttemptLane()
        let task = Task {
            var next: RunDriver.Launch? = launch
            while let launch = next {
                let result = await RunDriver.runAttempt(launch)
                next = await inbox.deliver(.attempt(result), continuing: Task.isCancelled ? nil : lane)
            }
        }
        // Set before anyone can cancel the lane: only the driver does, and it is busy launching this one.
        lane.task.withLock { $0 = task }
        return lane
    }

    func cancel() {
        task.withLock { $0?.cancel() }
    }
}
