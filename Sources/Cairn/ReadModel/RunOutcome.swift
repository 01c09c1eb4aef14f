import Foundation

/// How a run ended, or where it stands when it stopped without ending: what `run`, `follow`, `resume`,
/// `fork` and `replay` print last, from a live handle or from the journal alike.
public struct RunOutcome: Sendable, Equatable, Codable {
    public let runID: RunID
    /// The status word as shown (``RunSummary/displayStatus``): `completed`, `failed`, …, or `interrupted`.
    public let status: String
    /// The run's result, when it completed.
    public let result: JSONValue?
    /// Why the run did not complete, or why it was not driven further.
    public let error: RunError?
    /// Seconds from the run's start to its end, when it ended.
    public let durationSeconds: Double?

    private enum CodingKeys: String, CodingKey {
        case runID = "runId", status, result, error, durationSeconds
    }

    public init(runID: RunID, status: String, result: JSONValue? = nil, error: RunError? = nil, durationSeconds: Double? = nil) {
        self.runID = runID
        self.status = status
        self.result = result
        self.error = error
        self.durationSeconds = durationSeconds
    }

    /// The outcome the journal records for a run.
    public init(_ summary: RunSummary) {
        self.init(runID: summary.runID, status: summary.displayStatus, result: summary.result, error: summary.error,
                  durationSeconds: summary.durationSeconds)
    }

    /// The outcome of a run driven in this process, `seconds` after it was started or resumed.
    public init(runID: RunID, end: RunEnd, seconds: Double) {
        switch end {
        case .completed(let result):
            self.init(runID: runID, status: RunStatus.completed.rawValue, result: JSONValue(json: result) ?? .null, durationSeconds: seconds)
        case .ended(let status, let error):
            self.init(runID: runID, status: status.rawValue, error: error, durationSeconds: seconds)
        case .interrupted:
            self.init(runID: runID, status: "interrupted")
        case .journalFailed(let error):
            let cairn = error as? CairnError
            self.init(runID: runID, status: RunStatus.running.rawValue,
                      error: RunError(cairn?.code ?? .journalUnavailable, cairn?.message ?? String(describing: error)))
        }
    }

    /// Whether the run completed.
    public var completed: Bool { status == RunStatus.completed.rawValue }
    /// Whether the run stopped resumable, without ending.
    public var interrupted: Bool { status == "interrupted" }
}
