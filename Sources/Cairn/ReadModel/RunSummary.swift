public import Foundation

/// A run as listings show it: the same fields from every journal, for every `--json` and (later) the HTTP API.
///
/// JSON keys are camelCase; `input` and `result` are JSON values; times are ISO 8601 with milliseconds;
/// `status` is the status word as shown: a ``RunStatus``, or `interrupted` for an unfinished run no live
/// process owns.
public struct RunSummary: Sendable, Equatable {
    public let runID: RunID
    public let workflow: String
    /// The workflow version given by its author, if any.
    public let version: String?
    public let fingerprint: String
    /// The journal's status.
    public let status: RunStatus
    /// True for an unfinished run whose lease has expired (or that never had one): no live process owns it.
    public let interrupted: Bool
    public let createdAt: Date
    public let finishedAt: Date?
    /// The process that holds or last held the run's lease.
    public let owner: String?
    public let leaseExpiresAt: Date?
    /// The workflow's input.
    public let input: JSONValue
    /// The run's result, when it completed.
    public let result: JSONValue?
    public let error: RunError?
    /// For a fork: the run it was forked from, and the event seq it was forked at.
    public let originRunID: RunID?
    public let originSeq: Int?
    /// How many times a process took the run over from the journal.
    public let resumes: Int
    /// When `cairn db prune` deleted the run's history (its summary stays); `nil` while it has it.
    public let prunedAt: Date?
    /// The run this one continues (``ContinueAsNew``), and the run this one continued as.
    public let continuedFrom: RunID?
    public let continuedAs: RunID?
    /// For a waiting run: when something it waits for is due (a timer, a deadline); `nil` when only an event can wake it.
    public let wakeAt: Date?
    /// For a child run: the run whose step called it.
    public let parentRunID: RunID?
    /// For a run another run started: the execution of that run's step that started it.
    public let parentExecution: Int?
    /// For a run a publication started: the seq of the published event in its parent's journal.
    public let publishedSeq: Int?

    public init(
        runID: RunID, workflow: String, version: String?, fingerprint: String, status: RunStatus, interrupted: Bool,
        createdAt: Date, finishedAt: Date?, owner: String?, leaseExpiresAt: Date?, input: JSONValue, result: JSONValue?,
        error: RunError?, originRunID: RunID?, originSeq: Int?, resumes: Int, prunedAt: Date? = nil, continuedFrom: RunID? = nil,
        continuedAs: RunID? = nil, wakeAt: Date? = nil, parentRunID: RunID? = nil, parentExecution: Int? = nil, publishedSeq: Int? = nil
    ) {
        self.runID = runID
        self.workflow = workflow
        self.version = version
        self.fingerprint = fingerprint
        self.status = status
        self.interrupted = interrupted
        self.createdAt = createdAt
        self.finishedAt = finishedAt
        self.owner = owner
        self.leaseExpiresAt = leaseExpiresAt
        self.input = input
        self.result = result
        self.error = error
        self.originRunID = originRunID
        self.originSeq = originSeq
        self.resumes = resumes
        self.prunedAt = prunedAt
        self.continuedFrom = continuedFrom
        self.continuedAs = continuedAs
        self.wakeAt = wakeAt
        self.parentRunID = parentRunID
        self.parentExecution = parentExecution
        self.publishedSeq = publishedSeq
    }

    /// The status as shown: the status word, or `interrupted` for a running run no live process owns (a waiting
    /// run needs no owner while it waits: it shows `waiting`; nor a `pending` one, which nobody has driven yet).
    public var displayStatus: String { interrupted && status != .waiting && status != .pending ? "interrupted" : status.rawValue }

    /// Seconds from start to end; `nil` while the run has not ended.
    public var durationSeconds: Double? {
        finishedAt.map { ($0.timeIntervalSince(createdAt) * 1000).rounded() / 1000 }  // the journal's times are to the millisecond
    }
}

extension RunSummary {
    /// The summary of a run from its records (for journals without a table of runs, like the in-memory one).
    /// `nil` when the records do not begin with a start.
    public init?(records: [JournalRecord], interrupted: Bool, owner: String? = nil, leaseExpiresAt: Date? = nil) {
        guard case .runStarted(let started)? = records.first else { return nil }
        var finished: RunFinished?
        var waiting: RunWaiting?
        var resumes = 0
        for record in records {
            switch record {
            case .runWaiting(let wait): waiting = wait
            case .eventsReceived: waiting = nil
            case .runFinished(let end): finished = end
            case .runResumed:
                resumes += 1
                if finished?.isDeadLetter == true { finished = nil }
            default: break
            }
        }
        self.init(
            runID: started.runID, workflow: started.workflow, version: started.version, fingerprint: started.fingerprint,
            status: finished?.status ?? (waiting == nil ? .running : .waiting), interrupted: finished == nil && interrupted, createdAt: started.at,
            finishedAt: finished?.at, owner: owner, leaseExpiresAt: leaseExpiresAt,
            input: Self.member("input", of: started.start.payload), result: finished?.result.map { Self.member("result", of: $0) },
            error: finished?.error, originRunID: started.origin?.run, originSeq: started.origin?.seq, resumes: resumes,
            continuedFrom: started.continuedFrom, continuedAs: finished?.successor?.runID, wakeAt: finished == nil ? waiting?.wakeAt : nil,
            parentRunID: started.parent?.run, parentExecution: started.parent?.executionID, publishedSeq: started.parent?.publishedSeq)
    }

    /// `{"input": …}` → its member (start and stop events carry the input and the result that way).
    public static func member(_ key: String, of payload: Data) -> JSONValue {
        JSONValue(json: payload)?[key] ?? .null
    }
}

extension RunSummary: Codable {
    private enum CodingKeys: String, CodingKey {
        case runID = "runId", workflow, version, fingerprint, status, interrupted, createdAt, finishedAt, durationSeconds, owner,
             leaseExpiresAt, input, result, error, originRunID = "originRunId", originSeq, resumes, prunedAt,
             continuedFrom, continuedAs, wakeAt, parentRunID = "parentRunId", parentExecution, publishedSeq
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let word = try container.decode(String.self, forKey: .status)
        guard let status = word == "interrupted" ? .running : RunStatus(rawValue: word) else {
            throw DecodingError.dataCorruptedError(forKey: .status, in: container, debugDescription: "unknown status '\(word)'")
        }
        self.init(
            runID: try container.decode(RunID.self, forKey: .runID), workflow: try container.decode(String.self, forKey: .workflow),
            version: try container.decodeIfPresent(String.self, forKey: .version),
            fingerprint: try container.decode(String.self, forKey: .fingerprint), status: status,
            interrupted: try container.decode(Bool.self, forKey: .interrupted),
            createdAt: try container.decode(Date.self, forKey: .createdAt),
            finishedAt: try container.decodeIfPresent(Date.self, forKey: .finishedAt),
            owner: try container.decodeIfPresent(String.self, forKey: .owner),
            leaseExpiresAt: try container.decodeIfPresent(Date.self, forKey: .leaseExpiresAt),
            input: try container.decode(JSONValue.self, forKey: .input),
            result: try container.decodeIfPresent(JSONValue.self, forKey: .result),
            error: try container.decodeIfPresent(RunError.self, forKey: .error),
            originRunID: try container.decodeIfPresent(RunID.self, forKey: .originRunID),
            originSeq: try container.decodeIfPresent(Int.self, forKey: .originSeq),
            resumes: try container.decode(Int.self, forKey: .resumes),
            prunedAt: try container.decodeIfPresent(Date.self, forKey: .prunedAt),
            continuedFrom: try container.decodeIfPresent(RunID.self, forKey: .continuedFrom),
            continuedAs: try container.decodeIfPresent(RunID.self, forKey: .continuedAs),
            wakeAt: try container.decodeIfPresent(Date.self, forKey: .wakeAt),
            parentRunID: try container.decodeIfPresent(RunID.self, forKey: .parentRunID),
            parentExecution: try container.decodeIfPresent(Int.self, forKey: .parentExecution),
            publishedSeq: try container.decodeIfPresent(Int.self, forKey: .publishedSeq))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(runID, forKey: .runID)
        try container.encode(workflow, forKey: .workflow)
        try container.encodeIfPresent(version, forKey: .version)
        try container.encode(fingerprint, forKey: .fingerprint)
        try container.encode(displayStatus, forKey: .status)
        try container.encode(interrupted, forKey: .interrupted)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encodeIfPresent(finishedAt, forKey: .finishedAt)
        try container.encodeIfPresent(durationSeconds, forKey: .durationSeconds)
        try container.encodeIfPresent(owner, forKey: .owner)
        try container.encodeIfPresent(leaseExpiresAt, forKey: .leaseExpiresAt)
        try container.encode(input, forKey: .input)
        try container.encodeIfPresent(result, forKey: .result)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encodeIfPresent(originRunID, forKey: .originRunID)
        try container.encodeIfPresent(originSeq, forKey: .originSeq)
        try container.encode(resumes, forKey: .resumes)
        try container.encodeIfPresent(prunedAt, forKey: .prunedAt)
        try container.encodeIfPresent(continuedFrom, forKey: .continuedFrom)
        try container.encodeIfPresent(continuedAs, forKey: .continuedAs)
        try container.encodeIfPresent(wakeAt, forKey: .wakeAt)
        try container.encodeIfPresent(parentRunID, forKey: .parentRunID)
        try container.encodeIfPresent(parentExecution, forKey: .parentExecution)
        try container.encodeIfPresent(publishedSeq, forKey: .publishedSeq)
    }
}
