import ArgumentParser
import Cairn
import CairnCLI
import CairnSQLite
import Foundation

struct Audit: CairnSubcommand {
    static let configuration = CommandConfiguration(
        abstract: "Every decision taken for a SKU: when, by which run and step, on which votes.",
        discussion: """
            Answers "why did we clear out Apple on Tuesday?". Each decision appears once, even when its run \
            was interrupted and resumed; `resumed` and `forked` say how its run went.

            Examples:
              cairn audit Apple
              cairn audit Apple --since 2026-11-24 --until 2026-11-25T12:00:00Z --json
            """
    )

    @Argument(help: "The SKU.")
    var sku: String

    @Option(help: ArgumentHelp("Only decisions at or after this time (ISO-8601, UTC; a date alone means its midnight).", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Only decisions before this time.", valueName: "time"))
    var until: String?

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func run(in environment: CommandEnvironment) async throws {
        let journal = try environment.readOnlyJournal()
        let decisions = try journal.rows("""
            SELECT at, decision, quantity, round, vote_online, vote_offline, vote_trend, workflow, run_id, execution_id,
                   step, decision_seq, decision_event, entry_id, resumed, forked, approved_by, approval_note
            FROM decisions
            WHERE sku = ?1 AND (?2 IS NULL OR at >= ?2) AND (?3 IS NULL OR at < ?3)
            ORDER BY at, entry_id
            """, [sku, try since.map(Self.time), try until.map(Self.time)])
        let output = environment.output
        if output.json { return output.rows(decisions, camelCaseKeys: true) }
        guard !decisions.rows.isEmpty else { return output.line("no decisions for SKU '\(sku)'") }
        for record in decisions.records {
            let votes = [("online", "vote_online"), ("offline", "vote_offline"), ("trend", "vote_trend")]
                .compactMap { name, column in record[column].flatMap { $0 == .null ? nil : "\(name) \($0.text)" } }
            let history = [record["resumed"]?.text == "1" ? "resumed" : nil, record["forked"]?.text == "1" ? "forked" : nil]
                .compactMap { $0 }
            let approval = record["approved_by"].flatMap { $0 == .null ? nil : $0.text }.map { by in
                (text(record, "decision") == "rejected" ? "  rejected by " : "  approved by ") + by
                    + (record["approval_note"].flatMap { $0 == .null ? nil : " (\"\($0.text)\")" } ?? "")
            }
            output.line("\(text(record, "at"))  \(text(record, "decision")) \(text(record, "quantity")) (round \(text(record, "round")))"
                + (votes.isEmpty ? "" : "  votes: \(votes.joined(separator: ", "))") + (approval ?? ""))
            output.line("    run \(text(record, "run_id")) (\(text(record, "workflow")))\(history.isEmpty ? "" : " [\(history.joined(separator: ", "))]")"
                + ", step \(text(record, "step")) execution \(text(record, "execution_id")), on \(text(record, "decision_event"))"
                + " seq \(text(record, "decision_seq")), ledger entry \(text(record, "entry_id"))")
        }
    }

    private func text(_ record: [String: ReadOnlyJournal.Value], _ column: String) -> String {
        record[column]?.text ?? ""
    }

    /// Accepts a date or an ISO-8601 time; returns the journal's text form for comparison.
    static func time(_ text: String) throws -> String {
        if let date = try? Date(text, strategy: .iso8601) { return Timestamp.text(date) }
        if let day = try? Date(text + "T00:00:00Z", strategy: .iso8601) { return Timestamp.text(day) }
        throw ValidationError("'\(text)' is not a time: use 2026-11-24 or 2026-11-24T09:30:00Z.")
    }
}
