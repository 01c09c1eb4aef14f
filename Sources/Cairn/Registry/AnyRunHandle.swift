public import Foundation

/// A run handle with its result type erased to JSON, for callers that know workflows only by name.
public struct AnyRunHandle: Sendable {
    /// The run's id.
    public let runID: RunID
    /// The run's progress stream.
    public let events: RunEventStream
    /// Each time the run starts waiting (``RunHandle/waits``).
    public let waits: @Sendable () -> AsyncStream<(RunID, RunWaiting)>
    private let ended: @Sendable () async -> RunEnd
    private let interruptRun: @Sendable () -> Void
    private let last: @Sendable () async -> RunID

    public init<Output>(_ handle: RunHandle<Output>) {
        runID = handle.runID
        events = handle.events
        waits = { handle.waits }
        ended = {
            do {
                let result = try await handle.result
                return .completed(try JSONEncoder().encode(result))
            } catch let error as RunError {
                return .ended(await handle.status, error)
            } catch let error as CairnError where error.code == .interrupted {
                return .interrupted
            } catch {
                return .journalFailed(error)
            }
        }
        interruptRun = { handle.interrupt() }
        last = { await handle.lastRunID }
    }

    /// The id of the last run of the chain (``RunHandle/lastRunID``).
    public var lastRunID: RunID {
        get async { await last() }
    }

    /// Waits for the run to stop and says how.
    public func end() async -> RunEnd { await ended() }

    /// Interrupts the run (``RunHandle/interrupt()``).
    public func interrupt() { interruptRun() }
}

/// How a run a caller drove stopped.
public enum RunEnd: Sendable {
    /// The run completed; its result as JSON.
    case completed(Data)
    /// The run ended failed, cancelled or timed out.
    case ended(RunStatus, RunError)
    /// The run was interrupted and stays resumable.
    case interrupted
    /// The journal refused a write; the run stays as the journal last recorded it.
    case journalFailed(any Error)
}
