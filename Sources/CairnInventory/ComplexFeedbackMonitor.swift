public import Cairn

/// The article's complex monitor: three feedback sources run concurrently, a join waits for one verdict
/// of each for the same round, a majority vote decides, and the trade step orders ("Good") or clears
/// ("Bad"). One decision per cycle.
public struct ComplexFeedbackMonitor: Workflow {
    public typealias Input = MonitorInput
    public typealias Output = MonitorReport
    public static let name = "complex-feedback-monitor"

    /// Where feedback comes from.
    public var source: any FeedbackSource
    /// How many of the three sources must say "Good" to order (2: a majority).
    public var orderVotes: Int

    public init(source: any FeedbackSource = SimulatedFeedback(), orderVotes: Int = 2) {
        self.source = source
        self.orderVotes = orderVotes
    }

    /// A person's answer to an order over `approveOver` units.
    public var accepts: [any Event.Type] { [ApprovalEvent.self] }

    public var steps: [AnyStep] {
        VotingSteps.steps(source: source, orderVotes: orderVotes) { event, context in
            try await MonitorSteps.record(.init(round: event.round, decision: event.decision, votes: event.votes), sku: event.sku, context)
        }
    }
}

/// The complex monitor's steps, but for what its `trade` step does with the vote: shared by the monitor that
/// trades itself and the one that publishes its decisions for the order station.
enum VotingSteps {
    @StepsBuilder
    static func steps(source: any FeedbackSource, orderVotes: Int, trade: @escaping @Sendable (TradeEvent, WorkflowContext) async throws -> Void) -> [AnyStep] {
        FunctionStep("begin") { (event: OneOf2<StartEvent<MonitorInput>, LoopEvent>, context)
            -> OneOf4<OnlineEvent, OfflineEvent, TrendingPredictionEvent, StopEvent<MonitorReport>>? in
            let (input, round): (MonitorInput, Int)
            switch try MonitorSteps.nextRound(event, context) {
            case .play(let playing, let next): (input, round) = (playing, next)
            case .done(let report, _): return .fourth(StopEvent(report))
            case .continued: return nil
            }
            try context.writeToStream(ProgressEvent(message: "round \(round): asking three sources about \(input.sku)"))
            try context.send(OnlineEvent(sku: input.sku, round: round))
            try context.send(OfflineEvent(sku: input.sku, round: round))
            try context.send(TrendingPredictionEvent(sku: input.sku, round: round))
            return nil
        }
        FunctionStep("online_feedback") { [source] (event: OnlineEvent, context) -> OnlineFeedbackEvent? in
            OnlineFeedbackEvent(round: event.round, sentiment: try await MonitorSteps.ask(source, .online, sku: event.sku, round: event.round, context))
        }
        FunctionStep("offline_feedback") { [source] (event: OfflineEvent, context) -> OfflineFeedbackEvent? in
            OfflineFeedbackEvent(round: event.round, sentiment: try await MonitorSteps.ask(source, .offline, sku: event.sku, round: event.round, context))
        }
        FunctionStep("trending_predict") { [source] (event: TrendingPredictionEvent, context) -> PredictionResultEvent? in
            PredictionResultEvent(round: event.round, sentiment: try await MonitorSteps.ask(source, .trend, sku: event.sku, round: event.round, context))
        }
        JoinStep(
            "trading_decision", OnlineFeedbackEvent.self, OfflineFeedbackEvent.self, PredictionResultEvent.self,
            by: \.round, \.round, \.round
        ) { [orderVotes] (context, online, offline, trend) -> TradeEvent? in
            let input = try context.store.get(MonitorKeys.input)
            let votes = Votes(online: online.sentiment, offline: offline.sentiment, trend: trend.sentiment)
            return TradeEvent(sku: input?.sku ?? "", round: online.round, decision: votes.decision(requiringGood: orderVotes), votes: votes)
        }
        FunctionStep("trade") { (event: TradeEvent, context) -> LoopEvent? in
            try await trade(event, context)
            return LoopEvent(round: event.round)
        }
    }
}
