public import Cairn

/// Input of `feedback-monitor` and `complex-feedback-monitor`.
/// Unknown fields and out-of-range values are refused, naming the field.
public struct MonitorInput: Codable, Sendable, Equatable {
    /// The SKU to watch.
    public var sku: String
    /// Decisions to take, one per cycle; 0 for ever (the run continues as new every ``continueEvery`` cycles).
    public var cycles: Int
    /// Simulated I/O per feedback call, in milliseconds.
    public var delayMs: Int
    /// Makes the feedback deterministic.
    public var seed: UInt64?
    /// Cycles one run takes before it continues as a new run (so that no run's history grows without bound).
    public var continueEvery: Int
    /// The cycle this run begins with: 1, or where the run it continues stopped.
    public var firstRound: Int
    /// Orders of more units than this wait for a person's ``ApprovalEvent`` before the ledger row is written;
    /// `nil`: no order waits.
    public var approveOver: Int?

    public init(sku: String, cycles: Int, delayMs: Int = 1000, seed: UInt64? = nil, continueEvery: Int = 1000, firstRound: Int = 1,
                approveOver: Int? = nil) {
        self.sku = sku
        self.cycles = cycles
        self.delayMs = delayMs
        self.seed = seed
        self.continueEvery = continueEvery
        self.firstRound = firstRound
        self.approveOver = approveOver
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case sku, cycles, delayMs, seed, continueEvery, firstRound, approveOver
    }

    /// Decodes `{"sku": "Apple", "cycles": 3, "delayMs": 1000, "seed": 42}`; `cycles` defaults to 1,
    /// `delayMs` to 1000, `continueEvery` to 1000, `firstRound` to 1.
    public init(from decoder: any Decoder) throws {
        try StrictInput.rejectUnknownKeys(in: decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let input = MonitorInput(
            sku: try container.decode(String.self, forKey: .sku),
            cycles: try container.decodeIfPresent(Int.self, forKey: .cycles) ?? 1,
            delayMs: try container.decodeIfPresent(Int.self, forKey: .delayMs) ?? 1000,
            seed: try container.decodeIfPresent(UInt64.self, forKey: .seed),
            continueEvery: try container.decodeIfPresent(Int.self, forKey: .continueEvery) ?? 1000,
            firstRound: try container.decodeIfPresent(Int.self, forKey: .firstRound) ?? 1,
            approveOver: try container.decodeIfPresent(Int.self, forKey: .approveOver))
        try StrictInput.require(!input.sku.isEmpty, field: "sku", in: decoder, "must not be empty")
        try StrictInput.require((0...10_000).contains(input.cycles), field: "cycles", in: decoder, "must be between 0 (for ever) and 10000")
        try StrictInput.require((1...10_000).contains(input.continueEvery), field: "continueEvery", in: decoder, "must be between 1 and 10000")
        try StrictInput.require(input.firstRound >= 1 && (input.cycles == 0 || input.firstRound <= input.cycles), field: "firstRound", in: decoder,
                                "must be at least 1, and at most cycles unless cycles is 0")
        try StrictInput.require((0...600_000).contains(input.delayMs), field: "delayMs", in: decoder, "must be between 0 and 600000")
        try StrictInput.require((input.approveOver ?? 0) >= 0, field: "approveOver", in: decoder, "must be 0 or more units")
        self = input
    }

    /// Encodes the fields given; `continueEvery` and `firstRound` only when they differ from their defaults, so a
    /// run's journaled input reads as it was written.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sku, forKey: .sku)
        try container.encode(cycles, forKey: .cycles)
        try container.encode(delayMs, forKey: .delayMs)
        try container.encodeIfPresent(seed, forKey: .seed)
        if continueEvery != 1000 { try container.encode(continueEvery, forKey: .continueEvery) }
        if firstRound != 1 { try container.encode(firstRound, forKey: .firstRound) }
        try container.encodeIfPresent(approveOver, forKey: .approveOver)
    }

    var delay: Duration { .milliseconds(delayMs) }
}

extension MonitorInput: DescribedInput {
    public static let fields = [
        InputField("sku", "non-empty string", required: true, "the SKU to watch"),
        InputField("cycles", "integer 0…10000", default: "1", "decisions to take, one per cycle; 0 for ever"),
        InputField("delayMs", "integer 0…600000", default: "1000", "simulated I/O per call (ms)"),
        InputField("seed", "integer", "makes the feedback deterministic"),
        InputField("continueEvery", "integer 1…10000", default: "1000", "cycles a run takes before it continues as a new run"),
        InputField("firstRound", "integer ≥ 1", default: "1", "the cycle to begin with (set when a run continues as new)"),
        InputField("approveOver", "integer ≥ 0", "orders of more units wait for inventory.approval (cairn send)"),
    ]
}

/// What a monitor run did: one decision per cycle of its last run (a run that continued as new left the
/// decisions of its cycles in the ledger: `cairn audit SKU`).
public struct MonitorReport: Codable, Sendable, Equatable {
    public var sku: String
    public var decisions: [Decision]

    /// One cycle's decision.
    public struct Decision: Codable, Sendable, Equatable {
        public var round: Int
        public var decision: Sentiment
        /// The three sources' votes, when the workflow voted.
        public var votes: Votes?
        /// The person's answer, when the order waited for approval (``MonitorInput/approveOver``).
        public var approval: ApprovalEvent?

        public init(round: Int, decision: Sentiment, votes: Votes? = nil, approval: ApprovalEvent? = nil) {
            self.round = round
            self.decision = decision
            self.votes = votes
            self.approval = approval
        }
    }

    /// How many cycles ordered stock.
    public var orders: Int { decisions.filter { $0.decision == .good }.count }
    /// How many cycles cleared stock out.
    public var clears: Int { decisions.filter { $0.decision == .bad }.count }
}
