import Cairn
import Foundation
import GRDB

/// The coded columns of the journal and the Swift enums they map to: every value is written from, and read
/// back through, these types only. An unknown value read back is damage (or a newer writer), reported with
/// the run and the record — never a silent default.

/// `journal.kind`.
enum RecordKind: String, CaseIterable, DatabaseValueConvertible {
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
enum OutcomeColumn: String, DatabaseValueConvertible {
    case completed
    case failed
    case timedOut = "timed_out"
    case abandoned

    init(_ outcome: ExecutionFinished.Outcome) {
        switch outcome {
        case .completed: self = .completed
        case .failed: self = .failed
        case .timedOut: self = .timedOut
        case .abandoned: self = .abandoned
        }
    }
}

extension Row {
    /// The coded column `column` as `T`; throws journal-damaged naming `what` when the text is no `T`.
    func coded<T: RawRepresentable>(_ type: T.Type, _ column: String, in what: @autoclosure () -> String) throws -> T
    where T.RawValue == String {
        let text: String? = self[column]
        guard let text, let value = T(rawValue: text) else {
            throw CairnError(.journalDamaged, "\(what()) has \(column) '\(text ?? "NULL")', which this binary does not know; "
                + "run `cairn db check`, or open the journal with the Cairn that wrote it")
        }
        return value
    }
}
