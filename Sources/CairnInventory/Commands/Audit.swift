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
            was interrupted and resumed; `resumed` and `forked` say how its run went. A decision an order station \
            carried out names the monitor run that asked, and the trade request it published.

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
        let journal = try await environment.queryableJournal()
        let decisions = try await InventoryQueries.audit(sku, since: try since.map(Self.time), until: try until.map(Self.time), in: journal)
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
            if let asker = record["asked_by_run"], asker != .null {
                output.line("    asked by run \(asker.text) (\(text(record, "asked_by_workflow"))), which published "
                    + "\(text(record, "request_event")) seq \(text(record, "request_seq"))")
            }
        }
    }

    private func text(_ record: [String: SQLValue], _ column: String) -> String {
        record[column]?.text ?? ""
    }

    /// Accepts a date or an ISO-8601 time; returns the journal's text form for comparison.
    static func time(_ text: String) throws -> String {
        guard let time = InventoryQueries.time(text) else { throw ValidationError("'\(text)' is not a time: use 2026-11-24 or 2026-11-24T09:30:00Z.") }
        return time
    }
}
