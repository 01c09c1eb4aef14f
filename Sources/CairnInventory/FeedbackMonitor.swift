public import Cairn

/// The article's first feedback monitor: `begin → get_feedback → order | clear → begin`, `cycles` times,
/// then stop. Progress goes to the run's stream.
public struct FeedbackMonitor: Workflow {
    public typealias Input = MonitorInput
    public typealias Output = MonitorReport
    public static let name = "feedback-monitor"

    /// Where feedback comes from.
    public var source: any FeedbackSource
    /// `quiet-last-round`: the round after the last one no longer reports "begin" before the stop. Runs
    /// started before it keep the old line (on resume and replay alike).
    public var patches: Set<String>

    public init(source: any FeedbackSource = SimulatedFeedback(), patches: Set<String> = ["quiet-last-round"]) {
        self.source = source
        self.patches = patches
    }

    /// A person's answer to an order over `approveOver` units.
    public var accepts: [any Event.Type] { [ApprovalEvent.self] }

    public var steps: [AnyStep] {
        FunctionStep("begin") { (event: OneOf2<StartEvent<MonitorInput>, LoopEvent>, context)
            -> OneOf2<GetFeedbackEvent, StopEvent<MonitorReport>>? in
            switch try MonitorSteps.nextRound(event, context) {
            case .play(let input, let round):
                try context.writeToStream(ProgressEvent(message: "round \(round): begin"))
                return .first(GetFeedbackEvent(sku: input.sku, round: round))
            case .done(let report, let round):
                if !context.patched("quiet-last-round") { try context.writeToStream(ProgressEvent(message: "round \(round): begin")) }
                return .second(StopEvent(report))
            case .continued:
                return nil
            }
        }
        FunctionStep("get_feedback") { [source] (event: GetFeedbackEvent, context) -> OneOf2<OrderEvent, ClearEvent>? in
            try context.writeToStream(ProgressEvent(message: "round \(event.round): getting feedback for \(event.sku)"))
            let sentiment = try await MonitorSteps.ask(source, .customers, sku: event.sku, round: event.round, context)
            switch sentiment {
            case .good: return .first(OrderEvent(sku: event.sku, round: event.round, sentiment: sentiment))
            case .bad: return .second(ClearEvent(sku: event.sku, round: event.round, sentiment: sentiment))
            }
        }
        FunctionStep("order") { (event: OrderEvent, context) -> LoopEvent? in
            try await MonitorSteps.record(.init(round: event.round, decision: .good), sku: event.sku, context)
            return LoopEvent(round: event.round)
        }
        FunctionStep("clear") { (event: ClearEvent, context) -> LoopEvent? in
            try await MonitorSteps.record(.init(round: event.round, decision: .bad), sku: event.sku, context)
            return LoopEvent(round: event.round)
        }
    }
}
