/// The documented views of the journal (created by `Migrations/0003_views.sql`): what `cairn sql` users
/// query, with one sentence per column. A test checks this list against the database.
public enum JournalViews {
    /// A view, what it holds, and its columns with a sentence each.
    public struct View: Sendable {
        public let name: String
        public let summary: String
        public let columns: [(name: String, meaning: String)]
    }

    public static let all: [View] = [
        View(name: "runs", summary: "One row per run.", columns: [
            ("run_id", "The run's id: a lowercase UUID."),
            ("workflow", "The workflow's persisted name."),
            ("status", "pending, running, waiting, completed, failed, cancelled or timed_out."),
            ("interrupted", "1 when the run is unfinished and no live process holds its lease: `cairn resume` finishes it."),
            ("created_at", "When the run started (ISO-8601 UTC)."),
            ("finished_at", "When the run ended; NULL while it has not."),
            ("duration_s", "Seconds from start to end, or to now for an unfinished run."),
            ("input", "The start event's payload: {\"input\": …}."),
            ("result", "The run's result (JSON) when it completed."),
            ("error", "Why the run did not complete, as a sentence."),
            ("version", "The workflow version given by its author, if any."),
            ("fingerprint", "Hash of the workflow's steps and event types when the run started."),
            ("owner", "The process that holds or last held the run's lease (host:pid:suffix)."),
            ("origin_run_id", "For a fork: the run it was forked from."),
            ("origin_seq", "For a fork: the event seq of the origin it was forked at."),
            ("resumes", "How many times a process took the run over from the journal."),
        ]),
        View(name: "events", summary: "Every event of every run, gapless per run from seq 1 (the start event).", columns: [
            ("run_id", "The run."),
            ("seq", "The event's position in the run: 1, 2, 3, … with no gaps."),
            ("name", "The event type's persisted name, e.g. inventory.order."),
            ("payload", "The event as JSON."),
            ("execution_id", "The step execution that emitted it; NULL for the start event."),
            ("step", "The step that emitted it."),
            ("at", "When the emitting step committed."),
        ]),
        View(name: "step_executions", summary: "One row per attempt of a step execution.", columns: [
            ("run_id", "The run."),
            ("execution_id", "The execution: stable across its attempts."),
            ("step", "The step's name."),
            ("attempt", "1 for the first attempt; a crash, an error or a timeout makes the next."),
            ("triggers", "The seqs of the events the execution handled (a JSON array; several for a join)."),
            ("started_at", "When the attempt started."),
            ("finished_at", "When it ended; NULL if it never did (its process died)."),
            ("duration_s", "Seconds the attempt took."),
            ("outcome", "completed, failed, timed_out, or unfinished."),
            ("error", "The error of a failed attempt."),
            ("retry_at", "When the next attempt was due, for a failed or timed-out attempt."),
        ]),
        View(name: "side_effects", summary: "Memoised side effects (context.run): journaled the moment they returned.", columns: [
            ("run_id", "The run."),
            ("execution_id", "The execution that paid for it."),
            ("step", "The step."),
            ("attempt", "The attempt that paid for it; later attempts reuse the result."),
            ("key", "The name given to context.run, with #n for its n-th call in the execution."),
            ("result", "The result as JSON."),
            ("at", "When it returned."),
        ]),
        View(name: "decisions", summary: "Every inventory decision, with the votes that led to it and how its run went.", columns: [
            ("at", "When the decision was committed."),
            ("sku", "The SKU."),
            ("decision", "order or clear."),
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
        ]),
        View(name: "ledger", summary: "The inventory ledger: one row per decision.", columns: [
            ("entry_id", "The row's id, in commit order."),
            ("sku", "The SKU."),
            ("decision", "order or clear."),
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
        ]),
        View(name: "stock", summary: "Stock on hand per SKU: the sum of its ledger rows.", columns: [
            ("sku", "The SKU."),
            ("quantity", "Units on hand."),
        ]),
    ]
}
