import Foundation

// The journal's row format, shared by the backends that store records as rows (SQLite, PostgreSQL): the coded
// columns and the JSON of `journal.detail` and `journal.triggers`, so both write — and `cairn sql` reads — the same.

/// `journal.kind`.
package enum RecordKind: String, CaseIterable, Sendable {
    case runStarted = "run_started"
    case executionStarted = "execution_started"
    case executionFinished = "execution_finished"
    case sideEffect = "side_effect"
    case eventsReceived = "events_received"
    case runWaiting = "run_waiting"
    case timersFired = "timers_fired"
    case waitOpened = "wait_opened"
    case waitAnswered = "wait_answered"
    case runInterrupted = "run_interrupted"
    case runResumed = "run_resumed"
    case runFinished = "run_finished"
}

/// `journal.outcome` of an `execution_finished` record.
package enum OutcomeColumn: String, Sendable {
    case completed
    case failed
    case timedOut = "timed_out"
    case abandoned

    package init(_ outcome: ExecutionFinished.Outcome) {
        switch outcome {
        case .completed: self = .completed
        case .failed: self = .failed
        case .timedOut: self = .timedOut
        case .abandoned: self = .abandoned
        }
    }
}

/// The JSON of `journal.triggers`, written by hand (every commit writes one).
package enum JournalRows {
    /// `[1,2]`: a trigger list of a start record, written by hand (every commit writes one).
    package static func json(seqs: [Int]) -> String {
        "[" + seqs.map(String.init).joined(separator: ",") + "]"
    }

    /// `[{"name":"a","seq":1}]`: a trigger list of a finish record, written by hand (every commit writes one);
    /// a name that needs escaping goes through the encoder.
    package static func json(triggers: [(name: String, seq: Int)]) throws -> String {
        let plain = triggers.allSatisfy { trigger in trigger.name.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C } }
        guard plain else { return String(decoding: try JSONEncoder().encode(triggers.map { TriggerRef(name: $0.name, seq: $0.seq) }), as: UTF8.self) }
        return "[" + triggers.map { #"{"name":"\#($0.name)","seq":\#($0.seq)}"# }.joined(separator: ",") + "]"
    }

}

/// `journal.detail` of a `run_started` row, when the run has patches.
package struct StartDetail: Codable {
    package let patches: [String]
    /// For a run another run started: how (``ParentLink``).
    package var link: ParentLink? = nil

    package init(patches: [String], link: ParentLink? = nil) {
        self.patches = patches
        self.link = link
    }
}

/// `journal.detail` of an `execution_finished` row.
package struct FinishDetail: Codable {
    package let startedAt: Double
    package let recorded: [RecordedValue]

    package init(startedAt: Double, recorded: [RecordedValue]) {
        self.startedAt = startedAt
        self.recorded = recorded
    }
}

/// `journal.detail` of a `wait_opened` or `wait_answered` row.
package struct WaitDetail: Codable {
    package let key: String
    package let name: String?

    package init(key: String, name: String?) {
        self.key = key
        self.name = name
    }
}

/// `journal.detail` of a `run_waiting` row.
package struct WaitingDetail: Codable {
    package let reasons: [String]
    package let events: [String]

    package init(reasons: [String], events: [String]) {
        self.reasons = reasons
        self.events = events
    }
}

/// `journal.detail` of a `run_interrupted` row.
package struct InterruptDetail: Codable {
    package let abandoned: [Int]
    package let reason: String

    package init(abandoned: [Int], reason: String) {
        self.abandoned = abandoned
        self.reason = reason
    }
}

/// `journal.detail` of a `run_resumed` row.
package struct ResumeDetail: Codable {
    package let owner: String
    package let epoch: Int

    package init(owner: String, epoch: Int) {
        self.owner = owner
        self.epoch = epoch
    }
}

/// One entry of `journal.triggers` of an `execution_finished` row.
package struct TriggerRef: Codable {
    package let name: String
    package let seq: Int

    package init(name: String, seq: Int) {
        self.name = name
        self.seq = seq
    }
}
