import ArgumentParser
public import Cairn
public import CairnCLI
public import CairnServer
public import CairnSQLite

/// The article's inventory domain as a plug-in: its workflows, its ledger tables and views (migrated with
/// the journal's), its `db check` rules, and its `audit` and `ledger` commands.
///
/// ## Usage
/// ```swift
/// await CairnCLI.main(plugins: [Inventory.plugin])
/// ```
public enum Inventory {
    /// The shipped workflows.
    public static let workflows: [WorkflowRegistration] = [
        WorkflowRegistration(HelloWorkflow()),
        WorkflowRegistration(FeedbackMonitor()),
        WorkflowRegistration(ComplexFeedbackMonitor()),
        WorkflowRegistration(ModularFeedbackMonitor()),
        WorkflowRegistration(OrderStation()),
    ]

    /// The ledger tables, their views and their checks.
    public static let journalExtension = JournalExtension(
        name: "inventory", migrations: InventoryMigrations.all, postgresMigrations: InventoryPostgresMigrations.all, views: InventoryViews.all,
        checks: checks(runID: "run_id"), postgresChecks: checks(runID: "run_id::text"))

    /// The ledger's checks; `runID` is a journal table's run id as the ledger writes it (text: PostgreSQL's tables keep a uuid).
    private static func checks(runID: String) -> [JournalCheck] {
        [
            JournalCheck("ledger row without its commit", """
                SELECT l.entry_id, l.run_id, l.execution_id FROM ledger_entry AS l WHERE NOT EXISTS (
                  SELECT 1 FROM journal AS j WHERE j.\(runID) = l.run_id AND j.execution_id = l.execution_id
                    AND j.kind = 'execution_finished' AND j.outcome = 'completed')
                  AND NOT EXISTS (SELECT 1 FROM run WHERE run.\(runID) = l.run_id AND run.pruned_at IS NOT NULL)
                """),
            JournalCheck("stock differs from ledger", """
                SELECT s.sku, s.quantity, (SELECT COALESCE(SUM(quantity), 0) FROM ledger_entry AS l WHERE l.sku = s.sku)
                FROM stock_level AS s WHERE s.quantity != (SELECT COALESCE(SUM(quantity), 0) FROM ledger_entry AS l WHERE l.sku = s.sku)
                """),
        ]
    }

    /// Everything `cairn` adds for the domain.
    public static let plugin = CairnPlugin(
        workflows: workflows, journal: journalExtension,
        commands: CommandGroup(name: "Inventory", subcommands: [Audit.self, Ledger.self]),
        api: { environment in api(over: try await environment.queryableJournal()) })

    /// The audit and the ledger over HTTP (`Schemas/inventory-api.yaml`): what `cairn audit --json` and
    /// `cairn ledger --json` print.
    public static func api(over journal: any QueryableJournal) -> APIExtension {
        APIExtension(paths: InventoryAPIDocument.paths, queries: [
            APIQuery("/v1/inventory/audit/{sku}", parameters: ["since", "until"]) { request in
                /// A time parameter, in the journal's form.
                func time(_ name: String) throws -> String? {
                    try request.query(name).map { text in
                        guard let time = InventoryQueries.time(text) else {
                            throw request.invalid("\(name) '\(text)' is not a time: use 2026-11-24 or 2026-11-24T09:30:00Z")
                        }
                        return time
                    }
                }
                let decisions = try await InventoryQueries.audit(request.path("sku"), since: try time("since"), until: try time("until"), in: journal)
                return decisions.records(camelCase: true)
            },
            APIQuery("/v1/inventory/ledger", parameters: ["sku", "run"]) { request in
                let run = try request.query("run").map { text in
                    guard let id = RunID(text) else { throw request.invalid("run '\(text)' is not a run id (a UUID)") }
                    return id
                }
                return try await InventoryQueries.ledger(sku: request.query("sku"), run: run, in: journal)
            },
        ])
    }
}

/// The inventory's documented views (created by `Migrations/inventory/0002_views.sql`, widened by `0003_approvals.sql`).
public enum InventoryViews {
    public static let all: [JournalView] = [
        JournalView(name: "decisions", summary: "Every inventory decision, with the votes that led to it and how its run went.", columns: [
            ("at", "When the decision was committed."),
            ("sku", "The SKU."),
            ("decision", "order, clear, or rejected (an order a person refused: no stock moved)."),
            ("quantity", "Units added (order) or removed (clear, negative)."),
            ("round", "The monitor's cycle."),
            ("vote_online", "The online reviews' verdict (Good or Bad), when the workflow voted."),
            ("vote_offline", "The shops' verdict, when the workflow voted."),
            ("vote_trend", "The trend predictor's verdict, when the workflow voted."),
            ("workflow", "The workflow of the run."),
            ("run_id", "The run that decided."),
            ("execution_id", "The step execution whose commit wrote the decision."),
            ("step", "That execution's step."),
            ("decision_seq", "The seq of the event that triggered the decision."),
            ("decision_event", "That event's name."),
            ("entry_id", "The ledger row."),
            ("resumed", "1 when the run was taken over from the journal at least once."),
            ("forked", "1 when the run is a fork of another."),
            ("approved_by", "Who approved the order (or rejected it), when the run asked for approval (approveOver)."),
            ("approval_note", "The note given with the approval or rejection."),
        ]),
        JournalView(name: "ledger", summary: "The inventory ledger: one row per decision.", columns: [
            ("entry_id", "The row's id, in commit order."),
            ("sku", "The SKU."),
            ("decision", "order, clear, or rejected (an order a person refused: no stock moved)."),
            ("quantity", "Units added (order) or removed (clear, negative)."),
            ("round", "The monitor's cycle."),
            ("run_id", "The run that decided."),
            ("execution_id", "The step execution whose commit wrote the row."),
            ("step", "That execution's step."),
            ("decision_seq", "The seq of the event that triggered the decision."),
            ("decision_event", "That event's name."),
            ("vote_online", "The online reviews' verdict, when the workflow voted."),
            ("vote_offline", "The shops' verdict, when the workflow voted."),
            ("vote_trend", "The trend predictor's verdict, when the workflow voted."),
            ("at", "When the row was committed."),
            ("approved_by", "Who approved the order (or rejected it), when the run asked for approval (approveOver)."),
            ("approval_note", "The note given with the approval or rejection."),
        ]),
        JournalView(name: "stock", summary: "Stock on hand per SKU: the sum of its ledger rows.", columns: [
            ("sku", "The SKU."),
            ("quantity", "Units on hand."),
        ]),    ]
}
