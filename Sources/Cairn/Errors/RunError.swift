/// Why a run did not complete: kept in the journal, thrown by ``RunHandle/result``. The same type whatever
/// the journal, with the same codes as ``CairnError``.
public struct RunError: Error, Sendable, Codable, Equatable, CustomStringConvertible {
    public let code: CairnError.Code
    public let message: String
    /// The step involved, if any.
    public let step: String?
    /// The event involved, if any (its persisted name).
    public let event: String?

    public init(_ code: CairnError.Code, _ message: String, step: String? = nil, event: String? = nil) {
        self.code = code
        self.message = message
        self.step = step
        self.event = event
    }

    public var description: String { message }

    /// The error of a cancelled run.
    static var cancelled: RunError {
        RunError(.cancelled, "run was cancelled; cancelling is final. Start a new run to do the work again.")
    }
}
