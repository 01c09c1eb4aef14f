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
        let journal = try environment.readOnlyJournal()
        // A decision an order station carried out names the monitor run that asked and the event it published.
        let decisions = try journal.rows("""
            SELECT d.at, d.decision, d.quantity, d.round, d.vote_online, d.vote_offline, d.vote_trend, d.workflow, d.run_id,
                   d.execution_id, d.step, d.decision_seq, d.decision_event, d.entry_id, d.resumed, d.forked, d.approved_by,
                   d.approval_note, run.parent_run_id AS asked_by_run, parent.workflow AS asked_by_workflow,
                   run.published_seq AS request_seq,
                   (SELECT name FROM event WHERE event.run_id = run.parent_run_id AND event.seq = run.published_seq) AS request_event
            FROM decisions AS d JOIN run USING (run_id) LEFT JOIN run AS parent ON parent.run_id = run.parent_run_id
            WHERE d.sku = ?1 AND (?2 IS NULL OR d.at >= ?2) AND (?3 IS NULL OR d.at < ?3)
            ORDER BY d.at, d.entry_id
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
            if let asker = record["asked_by_run"], asker != .null {
                output.line("    asked by run \(asker.text) (\(text(record, "asked_by_workflow"))), which published "
                    + "\(text(record, "request_event")) seq \(text(record, "request_seq"))")
            }
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
