import Foundation

/// A started run: its result, its progress stream, and the ways to stop it.
///
/// A run that continues as new (``WorkflowContext/continueAsNew(_:)``) is followed into its successor, which
/// the same engine drives: ``result``, ``status`` and ``events`` are those of the whole chain, and
/// ``cancel()`` and ``interrupt()`` reach the run of the chain that is driven now.
public struct RunHandle<Output: Codable & Sendable>: Sendable {
    /// The run's id: the first of its chain.
    public let runID: RunID
    let task: Task<DriverOutcome, Never>
    let journal: any Journal
    /// The runs this one continues as, as this engine drives them.
    let chain: RunChain

    /// The run's result once it — or the last run of its chain — completes.
    /// - Throws: ``RunError`` when the run failed, was cancelled or timed out; ``CairnError`` with
    ///   code `interrupted` when it was interrupted, or the journal's error when a write failed.
    public var result: Output {
        get async throws {
            let (last, outcome) = await end
            switch outcome {
            case .finished(let finished):
                guard finished.status == .completed, let payload = finished.result else {
                    throw finished.error ?? RunError(.stepFailed, "run \(last) ended \(finished.status.rawValue)")
                }
                return try WorkflowContext.decode(StopEvent<Output>.self, from: payload, what: "the run's result").result
            case .interrupted:
                throw CairnError(.interrupted, "run \(last) was interrupted; resume it to finish it")
            case .journalFailed(let error):
                throw error
            }
        }
    }

    /// How the run — or the last run of its chain — ended: its status, or `running` when it was interrupted
    /// or the journal failed.
    public var status: RunStatus {
        get async {
            if case .finished(let finished) = await end.outcome { return finished.status }
            return .running
        }
    }

    /// The id of the last run of the chain: this run's, unless it continued as new.
    public var lastRunID: RunID {
        get async { await end.last }
    }

    /// The last run of the chain and how its driver stopped.
    private var end: (last: RunID, outcome: DriverOutcome) {
        get async {
            let outcome = await task.value
            return await chain.end() ?? (runID, outcome)
        }
    }

    /// Every event steps wrote to the stream, from the first.
    public var events: RunEventStream { events(from: 1) }

    /// Every event steps wrote to the stream, from `position` (1-based). Each call starts a new,
    /// independent reader; readers hold a page of events at a time, never the whole history.
    public func events(from position: Int) -> RunEventStream {
        chain.events(of: runID, from: position, journal: journal)
    }

    /// Each time the run — or a successor — starts waiting (nothing to run, something may still come): which
    /// run, and what it waits for. Iterate it beside ``result``; cancel the iterating task when done.
    public var waits: AsyncStream<(RunID, RunWaiting)> { chain.waits() }

    /// Cancels the run (the chain's run driven now): terminal, journaled, in-flight steps are abandoned.
    public func cancel() {
        chain.request(.cancel)
    }

    /// Interrupts the run (the chain's run driven now): in-flight steps get a grace period to commit, then
    /// the run stops, resumable.
    public func interrupt() {
        chain.request(.interrupt)
    }
}

/// The progress stream of a run, read from its journal. Several readers may iterate at once.
public struct RunEventStream: AsyncSequence, Sendable {
    public typealias Element = StreamedEvent

    let runID: RunID
    let journal: any Journal
    let signal: ChangeSignal
    let position: Int
    /// The successor's stream, once this run's has ended: `nil` when it did not continue as new.
    let next: @Sendable () async -> RunEventStream?

    public func makeAsyncIterator() -> Iterator {
        Iterator(stream: self, position: Swift.max(1, position))
    }

    /// Reads pages of up to 256 events and waits for the journal to grow between them.
    public struct Iterator: AsyncIteratorProtocol {
        var stream: RunEventStream
        var position: Int
        var page: [StreamedEvent] = []
        var index = 0

        public mutating func next() async throws -> StreamedEvent? {
            while index == page.count {
                let (version, closed) = stream.signal.current
                page = try await stream.journal.streamedEvents(for: stream.runID, from: position, limit: 256)
                index = 0
                if !page.isEmpty { break }
                if Task.isCancelled { return nil }
                if closed {
                    guard let successor = await stream.next() else { return nil }
                    (stream, position) = (successor, 1)
                    continue
                }
                await stream.signal.wait(after: version)
            }
            defer { index += 1 }
            position = page[index].position + 1
            return page[index]
        }
    }
}
