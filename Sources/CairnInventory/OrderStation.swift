public import Cairn

/// The article's order station, as it wanted it: an independent workflow that starts on every published
/// ``TradeRequest`` (it is a ``Subscriber``), asks a person to approve a large order (``ApprovalEvent``, through
/// `cairn send`), and writes the ledger row in its own commit. A monitor that publishes knows only the event;
/// each run of the station is linked to the monitor run and the event that started it (`cairn audit`).
public struct OrderStation: Subscriber {
    public typealias Input = TradeRequest
    public typealias Output = OrderReceipt
    public static let name = "order-station"

    public init() {}

    /// A person's answer to an order over the request's `approveOver` units.
    public var accepts: [any Event.Type] { [ApprovalEvent.self] }

    public var steps: [AnyStep] {
        FunctionStep("book") { (start: StartEvent<TradeRequest>, context) -> StopEvent<OrderReceipt>? in
            let request = start.input
            let decision = MonitorReport.Decision(round: request.round, decision: request.decision, votes: request.votes)
            let entry = try await MonitorSteps.ledgerEntry(for: decision, sku: request.sku, approveOver: request.approveOver, context)
            try context.commit(entry)
            try context.writeToStream(ProgressEvent(message: "round \(request.round): \(entry.summary)"))
            return StopEvent(OrderReceipt(sku: request.sku, round: request.round, decision: entry.decision, approval: entry.approval))
        }
    }
}

/// What the order station did with a request.
public struct OrderReceipt: Codable, Sendable, Equatable {
    public var sku: String
    public var round: Int
    public var decision: LedgerEntry.Decision
    /// The person's answer, when the order waited for one.
    public var approval: ApprovalEvent?
}

extension TradeRequest: DescribedInput {
    public static let fields = [
        InputField("sku", "string", required: true, "the SKU to trade"),
        InputField("round", "integer", required: true, "the monitor's cycle"),
        InputField("decision", "\"Good\" or \"Bad\"", required: true, "Good orders stock, Bad clears it out"),
        InputField("votes", "{online, offline, trend}", "the sources' verdicts, when the monitor voted"),
        InputField("approveOver", "integer ≥ 0", "orders of more units wait for inventory.approval (cairn send)"),
    ]
}
