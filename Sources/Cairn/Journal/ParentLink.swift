/// The run and step execution that started another run: a child it called or started, or a subscriber its
/// publication started.
public struct ParentLink: Sendable, Equatable, Codable {
    public let run: RunID
    public let executionID: Int
    /// Started to live on its own (``WorkflowContext/start(_:input:detached:)`` with `detached`, or a subscriber
    /// run): cancelling the parent leaves it be, and its deadline is its own.
    public var detached: Bool
    /// The event name its end is sent to the parent under (``ChildRunEnded``), when the parent accepts that event.
    public var reportsEndAs: String?
    /// For a subscriber run: the seq of the published event in the parent's journal.
    public var publishedSeq: Int?
    /// Its place in the chain of runs starting runs: 1 for a run a top-level run started.
    public var depth: Int

    /// How deep runs may start runs: a cycle of workflows starting each other stops here, with a sentence.
    public static let maximumDepth = 32

    public init(run: RunID, executionID: Int, detached: Bool = false, reportsEndAs: String? = nil, publishedSeq: Int? = nil, depth: Int = 1) {
        self.run = run
        self.executionID = executionID
        self.detached = detached
        self.reportsEndAs = reportsEndAs
        self.publishedSeq = publishedSeq
        self.depth = depth
    }

    private enum CodingKeys: String, CodingKey { case run, executionID, detached, reportsEndAs, publishedSeq, depth }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(run: try container.decode(RunID.self, forKey: .run), executionID: try container.decode(Int.self, forKey: .executionID),
                  detached: try container.decodeIfPresent(Bool.self, forKey: .detached) ?? false,
                  reportsEndAs: try container.decodeIfPresent(String.self, forKey: .reportsEndAs),
                  publishedSeq: try container.decodeIfPresent(Int.self, forKey: .publishedSeq),
                  depth: try container.decodeIfPresent(Int.self, forKey: .depth) ?? 1)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(run, forKey: .run)
        try container.encode(executionID, forKey: .executionID)
        if detached { try container.encode(detached, forKey: .detached) }
        try container.encodeIfPresent(reportsEndAs, forKey: .reportsEndAs)
        try container.encodeIfPresent(publishedSeq, forKey: .publishedSeq)
        if depth != 1 { try container.encode(depth, forKey: .depth) }
    }
}

extension CairnError {
    /// A commit that starts a run whose id exists already: the attempt is refused, nothing of it kept.
    public static func startsExistingRun(_ run: RunID) -> CairnError {
        CairnError(.runExists, "it starts run \(run), which exists already")
    }
}
