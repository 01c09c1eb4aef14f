public import Foundation

/// Where the engine reads the time and waits for it: deadlines, retry backoffs, step timeouts, lease
/// renewals and `context.now` all go through it. Tests pass a manual clock (`CairnTesting.ManualClock`)
/// and advance it, instead of sleeping.
///
/// Wall-clock time, since the journal keeps absolute times that must mean the same after a restart.
public protocol EngineClock: Sendable {
    /// The current time.
    var now: Date { get }
    /// Returns once `now` has reached `deadline`; throws `CancellationError` when the task is cancelled first.
    func sleep(until deadline: Date) async throws
}

/// The system's clock.
public struct SystemClock: EngineClock {
    public init() {}

    public var now: Date { Date() }

    public func sleep(until deadline: Date) async throws {
        // A day at a time: any deadline, however far (or infinite), becomes a sleep that cannot overflow.
        while case let seconds = deadline.timeIntervalSinceNow, seconds > 0 {
            try await Task.sleep(for: .milliseconds(Int64((min(seconds, 86_400) * 1000).rounded(.up))))
        }
        try Task.checkCancellation()
    }
}

extension EngineClock {
    /// Returns after `delay` on this clock.
    func sleep(for delay: Duration) async throws {
        try await sleep(until: now.addingTimeInterval(delay.seconds))
    }
}
