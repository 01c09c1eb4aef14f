import Foundation

/// A started run: its result, its progress stream, and the ways to stop it.
public struct RunHandle<Output: Codable & Sendable>: Sendable {
    /// The run's id.
    public let runID: RunID
    let task: Task<DriverOutcome, Never>
    let inbox: DriverInbox
    let journal: any Journal
    let signal: ChangeSignal

    /// The run's result once it completes.
    /// - Throws: ``RunError`` when the run failed, was cancelled or timed out; ``CairnError`` with
    ///   code `interrupted` when it was interrupted, or the journal's error when a write failed.
    public var result: Output {
        get async throws {
            switch await task.value {
            case .finished(let finished):
                guard finished.status == .completed, let payload = finished.result else {
                    throw finished.error ?? RunError(.stepFailed, "run ended \(finished.status.rawValue)")
                }
                return try WorkflowContext.decode(StopEvent<Output>.self, from: payload, what: "the run's result").result
            case .interrupted:
                throw CairnError(.interrupted, "run \(runID) was interrupted; resume it to finish it")
            case .journalFailed(let error):
                throw error
            }
        }
    }

    /// How the run ended: its status, or `running` when it was interrupted or the journal failed.
    public var status: RunStatus {
        get async {
            if case .finished(let finished) = await task.value { return finished.status }
            return .running
        }
    }

    /// Every event steps wrote to the stream, from the first.
    public var events: RunEventStream { events(from: 1) }

    /// Every event steps wrote to the stream, from `position` (1-based). Each call starts a new,
    /// independent reader; readers hold a page of events at a time, never the whole history.
    public func events(from position: Int) -> RunEventStream {
        RunEventStream(runID: runID, journal: journal, signal: signal, position: position)
    }

    /// Cancels the run: terminal, journaled, in-flight steps are abandoned.
    public func cancel() {
        inbox.send(.control(.cancel))
    }

    /// Interrupts the run: in-flight steps get a grace period to commit, then the run stops, resumable.
    public func interrupt() {
        inbox.send(.control(.interrupt))
    }
}

/// The progress stream of a run, read from its journal. Several readers may iterate at once.
public struct RunEventStream: AsyncSequence, Sendable {
    public typealias Element = StreamedEvent

    let runID: RunID
    let journal: any Journal
    let signal: ChangeSignal
    let position: Int

    public func makeAsyncIterator() -> Iterator {
        Iterator(stream: self, position: Swift.max(1, position))
    }

    /// Reads pages of up to 256 events and waits for the journal to grow between them.
    public struct Iterator: AsyncIteratorProtocol {
        let stream: RunEventStream
        var position: Int
        var page: [StreamedEvent] = []
        var index = 0

        public mutating func next() async throws -> StreamedEvent? {
            while index == page.count {
                let (version, closed) = stream.signal.current
                page = try await stream.journal.streamedEvents(for: stream.runID, from: position, limit: 256)
                index = 0
                if !page.isEmpty { break }
                if closed || Task.isCancelled { return nil }
                await stream.signal.wait(after: version)
            }
            defer { index += 1 }
            position = page[index].position + 1
            return page[index]
        }
    }
}
