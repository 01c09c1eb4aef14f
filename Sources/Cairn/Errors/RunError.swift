public import Foundation

/// Why a run did not complete: kept in the journal, thrown by ``RunHandle/result``. The same type whatever
/// the journal, with the same codes as ``CairnError``.
public struct RunError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: CairnError.Code
    public let message: String
    /// The step involved, if any.
    public let step: String?
    /// The event involved, if any (its persisted name).
    public let event: String?
    /// For a step that failed: how many attempts it made.
    public let attempts: Int?
    /// For a step that failed: from its first attempt's start to the failure.
    public let elapsedSeconds: Double?
    /// For a step that failed: when its last attempt ended.
    public let failedAt: Date?

    public init(
        _ code: CairnError.Code, _ message: String, step: String? = nil, event: String? = nil, attempts: Int? = nil,
        elapsedSeconds: Double? = nil, failedAt: Date? = nil
    ) {
        self.code = code
        self.message = message
        self.step = step
        self.event = event
        self.attempts = attempts
        self.elapsedSeconds = elapsedSeconds
        self.failedAt = failedAt.map(Self.millisecond)
    }

    public var description: String { message }

    /// ISO 8601 with milliseconds whatever the encoder, so the journal's JSON and `--json` agree.
    private static let dates = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// The middle of `date`'s millisecond, as the journal keeps it: the formatter truncates to milliseconds,
    /// and a time in the middle of one formats, parses and formats again to the same text, so an error read
    /// back from the journal equals the one its caller saw.
    private static func millisecond(_ date: Date) -> Date {
        Date(timeIntervalSince1970: ((date.timeIntervalSince1970 * 1000).rounded() + 0.5) / 1000)
    }

    /// The error of a cancelled run.
    static var cancelled: RunError {
        RunError(.cancelled, "run was cancelled; cancelling is final. Start a new run to do the work again.")
    }
}

extension RunError: Codable {
    private enum CodingKeys: String, CodingKey { case code, message, step, event, attempts, elapsedSeconds, failedAt }


    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(CairnError.Code.self, forKey: .code)
        message = try container.decode(String.self, forKey: .message)
        step = try container.decodeIfPresent(String.self, forKey: .step)
        event = try container.decodeIfPresent(String.self, forKey: .event)
        attempts = try container.decodeIfPresent(Int.self, forKey: .attempts)
        elapsedSeconds = try container.decodeIfPresent(Double.self, forKey: .elapsedSeconds)
        failedAt = try container.decodeIfPresent(String.self, forKey: .failedAt).map { Self.millisecond(try Date($0, strategy: Self.dates)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(step, forKey: .step)
        try container.encodeIfPresent(event, forKey: .event)
        try container.encodeIfPresent(attempts, forKey: .attempts)
        try container.encodeIfPresent(elapsedSeconds, forKey: .elapsedSeconds)
        try container.encodeIfPresent(failedAt?.formatted(Self.dates), forKey: .failedAt)
    }
}
