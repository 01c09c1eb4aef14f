public import Cairn
import TradeEvents

/// What to watch, and for how many rounds.
public struct Watch: Codable, Sendable {
    public var sku: String
    public var rounds: Int
}

/// Watches demand for a SKU and publishes a ``TradeRequested`` whenever it is high. It knows nothing of who
/// trades: only the event type.
public struct StockMonitor: Workflow {
    public typealias Input = Watch
    public typealias Output = Int
    public static let name = "stock-monitor"

    public init() {}

    public var steps: [AnyStep] {
        FunctionStep("watch") { (start: StartEvent<Watch>, context) -> StopEvent<Int>? in
            var requested = 0
            for round in 1...max(1, start.input.rounds) {
                let demand = (round * 7 + start.input.sku.count) % 21  // simulated: Apple sees 12, 19, 5, …
                guard demand > 5 else { continue }
                try context.publish(TradeRequested(sku: start.input.sku, units: demand, round: round))
                requested += 1
            }
            return StopEvent(requested)
        }
    }
}
