import ArgumentParser
import Cairn
import CairnCLI
import CairnSQLite
import Foundation

struct Ledger: CairnSubcommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the inventory ledger's entries and the current stock.",
        discussion: """
            Examples:
              cairn ledger
              cairn ledger --sku Apple
              cairn ledger --run 6f1c2d3e-0000-4000-8000-000000000001 --json
            """
    )

    @Option(help: "Only this SKU.")
    var sku: String?

    @Option(help: ArgumentHelp("Only the entries of this run.", valueName: "run"))
    var run: String?

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    /// `ledger --json`.
    struct Document: Encodable {
        let entries: [[String: ReadOnlyJournal.Value]]
        let stock: [[String: ReadOnlyJournal.Value]]
    }

    func run(in environment: CommandEnvironment) async throws {
        let journal = try environment.readOnlyJournal()
        let runID = try run.map { try environment.runID($0) }
        if let runID { _ = try await environment.summary(of: runID, in: journal) }  // an unknown run is 66, not every SKU's stock
        let entries = try journal.rows("""
            SELECT entry_id, at, sku, decision, quantity, round, run_id, execution_id, step, decision_seq
            FROM ledger WHERE (?1 IS NULL OR sku = ?1) AND (?2 IS NULL OR run_id = ?2) ORDER BY entry_id
            """, [sku, runID?.description])
        let stock = try journal.rows("SELECT sku, quantity FROM stock WHERE ?1 IS NULL OR sku = ?1 ORDER BY sku", [sku])
        let output = environment.output
        if output.json {
            output.json(Document(entries: entries.records(camelCase: true), stock: stock.records(camelCase: true)))
        } else {
            output.rows(entries, empty: "no ledger entries")
            output.line("")
            output.line("stock:")
            output.rows(stock, empty: "no stock")
        }
    }
}
