public import Cairn
public import TradeEvents

/// What the station did with a request.
public struct Placed: Codable, Sendable, Equatable {
    public var sku: String
    public var units: Int
    public var approvedBy: String?
}

/// Starts on every published ``TradeRequested`` — one run per request, linked to the run that published it —
/// and places the order, asking a person first when it is over 15 units. It knows nothing of the monitor.
public struct OrderStation: Subscriber {
    public typealias Input = TradeRequested
    public typealias Output = Placed
    public static let name = "desk-order-station"

    public init() {}

    public var accepts: [any Event.Type] { [Approval.self] }

    public var steps: [AnyStep] {
        FunctionStep("place") { (start: StartEvent<TradeRequested>, context) -> StopEvent<Placed>? in
            let request = start.input
            guard request.units > 15 else { return StopEvent(Placed(sku: request.sku, units: request.units)) }
            let approval = try await context.waitFor(Approval.self)
            return StopEvent(Placed(sku: request.sku, units: approval.approved ? request.units : 0, approvedBy: approval.by))
        }
    }
}
