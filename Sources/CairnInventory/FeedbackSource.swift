/// Where a feedback monitor gets its verdicts: the simulated sources by default, anything else in tests
/// or in a real deployment.
public protocol FeedbackSource: Sendable {
    /// The verdict of `query.channel` about `query.sku` in `query.round`.
    func feedback(for query: FeedbackQuery) async throws -> Sentiment
}

/// One question to a feedback source.
public struct FeedbackQuery: Sendable {
    /// Which source is asked.
    public enum Channel: String, Sendable, CaseIterable {
        case customers, online, offline, trend
    }

    public var channel: Channel
    public var sku: String
    public var round: Int
    /// A uniform number in `0..<1`, from the run's seed or the journaled `context.random()`.
    public var draw: Double
    /// Simulated I/O time.
    public var delay: Duration
}

/// The article's simulation: wait `delay`, then "Bad" three times out of ten.
public struct SimulatedFeedback: FeedbackSource {
    public init() {}

    public func feedback(for query: FeedbackQuery) async throws -> Sentiment {
        if query.delay > .zero { try await Task.sleep(for: query.delay) }
        return query.draw < 0.3 ? .bad : .good
    }
}
