public import Cairn

/// A request to buy `units` of `sku`: published by the monitor, carried out by the order station.
public struct TradeRequested: Event, Equatable {
    public static let eventName = "desk.trade-requested"
    public var sku: String
    public var units: Int
    public var round: Int

    public init(sku: String, units: Int, round: Int) {
        self.sku = sku
        self.units = units
        self.round = round
    }
}

/// A person's answer to a large order: `cairn send RUN desk.approval --payload '{"approved": true, "by": "ada"}'`.
public struct Approval: Event, Equatable {
    public static let eventName = "desk.approval"
    public var approved: Bool
    public var by: String

    public init(approved: Bool, by: String) {
        self.approved = approved
        self.by = by
    }
}
