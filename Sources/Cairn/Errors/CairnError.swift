/// An operational failure: what went wrong, where, and what to do.
///
/// Codes are a struct rather than an enum so new ones never break a caller's `switch`.
public struct CairnError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, Codable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }
        public var description: String { raw }

        /// Codes are open: a journal may hold one a newer Cairn wrote, and it reads back as itself.
        public init(from decoder: any Decoder) throws {
            raw = try decoder.singleValueContainer().decode(String.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(raw)
        }

        /// A step threw on its last allowed attempt, or threw an error that may not be retried.
        public static let stepFailed = Code("step-failed")
        /// A step's attempt outlived its timeout on its last allowed attempt.
        public static let stepTimedOut = Code("step-timed-out")
        /// A step sent or returned an event type it did not declare.
        public static let undeclaredEvent = Code("undeclared-event")
        /// The run outlived its timeout.
        public static let runTimedOut = Code("run-timed-out")
        /// The run was cancelled.
        public static let cancelled = Code("cancelled")
        /// The run was interrupted; it can be resumed.
        public static let interrupted = Code("interrupted")
        /// Nothing can run and no stop event was emitted.
        public static let stalled = Code("stalled")
        /// The run does not exist in the journal.
        public static let runNotFound = Code("run-not-found")
        /// A run with this id exists already.
        public static let runExists = Code("run-exists")
        /// The run has already ended.
        public static let runEnded = Code("run-ended")
        /// The journal holds an event name the workflow does not know.
        public static let unknownEventType = Code("unknown-event-type")
        /// The run was started by a version of the workflow this code may not drive: its steps (fingerprint) or its
        /// declared version differ, and the workflow does not declare that one compatible.
        public static let fingerprintMismatch = Code("fingerprint-mismatch")
        /// The journal holds a record or value this binary cannot read: damage, or a newer writer.
        public static let journalDamaged = Code("journal-damaged")
        /// The journal and the scheduler disagree; a bug or a damaged journal.
        public static let internalInconsistency = Code("internal-inconsistency")
        /// Encoding or decoding a payload failed.
        public static let codingFailed = Code("coding-failed")
        /// A live process owns the run.
        public static let runOwned = Code("run-owned")
        /// Another process took the run over; this one may no longer write to it.
        public static let leaseLost = Code("lease-lost")
        /// The journal was written by a newer Cairn.
        public static let journalTooNew = Code("journal-too-new")
        /// The journal cannot be opened, read or written.
        public static let journalUnavailable = Code("journal-unavailable")
        /// The journal cannot apply a step's commit effect.
        public static let unsupportedEffect = Code("unsupported-effect")
        /// A file named by the caller does not exist.
        public static let fileNotFound = Code("file-not-found")
        /// The workflow is not registered.
        public static let unknownWorkflow = Code("unknown-workflow")
        /// The run's input does not decode as the workflow's input.
        public static let invalidInput = Code("invalid-input")
        /// The run's journal cannot be rebuilt into a run by this binary (an undecodable payload, an unknown
        /// event, a record out of order): the run is a dead letter, journaled `failed` with this code, and a
        /// fixed binary may reopen it (`cairn resume RUN --retry-broken`).
        public static let unrebuildable = Code("unrebuildable")
        /// The journal refused a write for a moment (locked by another process past its busy timeout); nothing
        /// was written, and the same write may succeed when tried again.
        public static let journalBusy = Code("journal-busy")
        /// The run was imported unfinished from an archive (``RunArchive``) and ends there; fork it to go on.
        public static let imported = Code("imported")
        /// A user's query ran past its time limit and was stopped.
        public static let queryTimedOut = Code("query-timed-out")
        /// The run's history was deleted by `cairn db prune`: its summary remains, its records do not.
        public static let historyPruned = Code("history-pruned")
    }

    /// What kind of failure.
    public let code: Code
    /// One or two sentences: what was wrong and what to do.
    public let message: String
    /// The step involved, if any.
    public let step: String?
    /// The event involved, if any (its persisted name).
    public let event: String?

    public init(_ code: Code, _ message: String, step: String? = nil, event: String? = nil) {
        self.code = code
        self.message = message
        self.step = step
        self.event = event
    }

    public var description: String { message }
}
