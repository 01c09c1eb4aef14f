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

    func run(in environment: CommandEnvironment) async throws {
        let journal = try await environment.queryableJournal()
        let runID = try run.map { try environment.runID($0) }
        if let runID { _ = try await environment.summary(of: runID, in: journal) }  // an unknown run is 66, not every SKU's stock
        let ledger = try await InventoryQueries.ledger(sku: sku, run: runID, in: journal)
        let output = environment.output
        if output.json {
            output.json(ledger)
        } else {
            output.rows(ledger.entries, empty: "no ledger entries")
            output.line("")
            output.line("stock:")
            output.rows(ledger.stock, empty: "no stock")
        }
    }
}
