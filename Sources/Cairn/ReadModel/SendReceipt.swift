/// What a send to a run's inbox says back, as `cairn send --json` and the HTTP API print it.
public struct SendReceipt: Encodable, Sendable {
    public let runId: RunID
    public let event: String
    public let inboxSeq: Int
    /// True when the key was sent before and nothing new was delivered.
    public let duplicate: Bool

    public init(runId: RunID, event: String, receipt: InboxReceipt) {
        self.runId = runId
        self.event = event
        self.inboxSeq = receipt.inboxSeq
        self.duplicate = receipt.duplicate
    }
}
