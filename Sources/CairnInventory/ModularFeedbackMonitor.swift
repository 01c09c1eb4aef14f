public import Cairn

/// The complex monitor split the way the article's "shortcomings" section wanted: it asks three sources, votes,
/// and publishes each decision as a ``TradeRequest``; the ``OrderStation`` — a workflow of its own, which shares
/// only that event type with it — carries the trade out and writes the ledger. Same steps and votes as
/// `complex-feedback-monitor`; only its `trade` step publishes instead of trading.
public struct ModularFeedbackMonitor: Workflow {
    public typealias Input = MonitorInput
    public typealias Output = MonitorReport
    public static let name = "modular-feedback-monitor"

    /// Where feedback comes from.
    public var source: any FeedbackSource
    /// How many of the three sources must say "Good" to order (2: a majority).
    public var orderVotes: Int

    public init(source: any FeedbackSource = SimulatedFeedback(), orderVotes: Int = 2) {
        self.source = source
        self.orderVotes = orderVotes
    }

    public var steps: [AnyStep] {
        VotingSteps.steps(source: source, orderVotes: orderVotes) { event, context in
            try MonitorSteps.publish(.init(round: event.round, decision: event.decision, votes: event.votes), sku: event.sku, context)
        }
    }
}
