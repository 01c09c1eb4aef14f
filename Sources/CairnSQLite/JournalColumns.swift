import Cairn
import Foundation
import GRDB

/// The coded columns of the journal and the Swift enums they map to: every value is written from, and read
/// back through, these types only. An unknown value read back is damage (or a newer writer), reported with
/// the run and the record — never a silent default.

extension RecordKind: DatabaseValueConvertible {}
extension OutcomeColumn: DatabaseValueConvertible {}

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
