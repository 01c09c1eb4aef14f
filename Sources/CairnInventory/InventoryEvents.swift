public import Cairn

/// What a feedback source thinks of a SKU. An enum, so a misspelt verdict cannot compile
/// (the article's `'Goode'` silently did nothing).
public enum Sentiment: String, Codable, Sendable, CaseIterable {
    case good = "Good"
    case bad = "Bad"
}

/// Loop: ask for the latest feedback for the SKU in `round`.
public struct GetFeedbackEvent: Event {
    public static let eventName = "inventory.get-feedback"
    public var sku: String
    public var round: Int
}

/// Good feedback: order more stock.
public struct OrderEvent: Event {
    public static let eventName = "inventory.order"
    public var sku: String
    public var round: Int
    public var sentiment: Sentiment
}

/// Bad feedback: clear the stock out.
public struct ClearEvent: Event {
    public static let eventName = "inventory.clear"
    public var sku: String
    public var round: Int
    public var sentiment: Sentiment
}

/// A decision was carried out; start the next round.
public struct LoopEvent: Event {
    public static let eventName = "inventory.loop"
    public var round: Int
}

/// Progress written to the run's stream (the article's `ProgressEvent`).
public struct ProgressEvent: Event {
    public static let eventName = "inventory.progress"
    public var message: String
}

/// Ask the online reviews (the article's `OnlineEvent`).
public struct OnlineEvent: Event {
    public static let eventName = "inventory.online"
    public var sku: String
    public var round: Int
}

/// Ask the shops (the article's `OfflineEvent`).
public struct OfflineEvent: Event {
    public static let eventName = "inventory.offline"
    public var sku: String
    public var round: Int
}

/// Ask the trend predictor (the article's `TrendingPredictionEvent`).
public struct TrendingPredictionEvent: Event {
    public static let eventName = "inventory.trend"
    public var sku: String
    public var round: Int
}

/// The online reviews' verdict.
public struct OnlineFeedbackEvent: Event {
    public static let eventName = "inventory.online-feedback"
    public var round: Int
    public var sentiment: Sentiment
}

/// The shops' verdict.
public struct OfflineFeedbackEvent: Event {
    public static let eventName = "inventory.offline-feedback"
    public var round: Int
    public var sentiment: Sentiment
}

/// The trend predictor's verdict.
public struct PredictionResultEvent: Event {
    public static let eventName = "inventory.prediction"
    public var round: Int
    public var sentiment: Sentiment
}

/// The majority vote of the three sources, with the votes that led to it.
public struct TradeEvent: Event {
    public static let eventName = "inventory.trade"
    public var sku: String
    public var round: Int
    public var decision: Sentiment
    public var votes: Votes
}

/// A person's answer to an order over ``MonitorInput/approveOver`` units, sent from outside:
/// `cairn send RUN inventory.approval --payload '{"approved": true, "by": "ada", "note": "…"}'`.
public struct ApprovalEvent: Event, Equatable {
    public static let eventName = "inventory.approval"
    public var approved: Bool
    public var by: String
    public var note: String?

    public init(approved: Bool, by: String, note: String? = nil) {
        self.approved = approved
        self.by = by
        self.note = note
    }
}

/// The three sources' verdicts behind one decision.
public struct Votes: Codable, Sendable, Equatable {
    public var online: Sentiment
    public var offline: Sentiment
    public var trend: Sentiment

    public init(online: Sentiment, offline: Sentiment, trend: Sentiment) {
        self.online = online
        self.offline = offline
        self.trend = trend
    }

    /// The verdict at least two of the three sources gave.
    public var majority: Sentiment { decision(requiringGood: 2) }

    /// "Good" when at least `count` of the three sources said so, else "Bad".
    public func decision(requiringGood count: Int) -> Sentiment {
        [online, offline, trend].filter { $0 == .good }.count >= count ? .good : .bad
    }
}

/// A monitor's decision, published for whoever trades (``OrderStation``): the article's trading logic, moved out
/// of the monitor into a workflow of its own that shares only this event type with it.
public struct TradeRequest: Event, Equatable {
    public static let eventName = "inventory.trade-request"
    public var sku: String
    public var round: Int
    public var decision: Sentiment
    /// The three sources' votes, when the monitor voted.
    public var votes: Votes?
    /// Orders of more units than this wait for a person's ``ApprovalEvent`` (``MonitorInput/approveOver``).
    public var approveOver: Int?

    public init(sku: String, round: Int, decision: Sentiment, votes: Votes? = nil, approveOver: Int? = nil) {
        self.sku = sku
        self.round = round
        self.decision = decision
        self.votes = votes
        self.approveOver = approveOver
    }
}
