/// The documented views of the journal itself (created by `Migrations/journal/0004_typed_journal.sql`): what
/// `cairn sql` users query, with one sentence per column. A domain documents its own views in its
/// ``JournalExtension``. A test checks every list against the database.
public enum JournalViews {
    public static let core: [JournalView] = [
        JournalView(name: "clock", summary: "The database clock: what lease expiry is compared with.", columns: [
            ("now", "Unix seconds."),
        ]),
        JournalView(name: "runs", summary: "One row per run.", columns: [
            ("run_id", "The run's id: a lowercase UUID."),
            ("workflow", "The workflow's persisted name."),
            ("status", "pending, running, waiting, completed, failed, cancelled or timed_out."),
            ("interrupted", "1 when the run is unfinished and no live process holds its lease (by the database clock): `cairn resume` finishes it."),
            ("created_at", "When the run started (ISO-8601 UTC)."),
            ("finished_at", "When the run ended; NULL while it has not."),
            ("duration_s", "Seconds from start to end, or to now for an unfinished run."),
            ("input", "The start event's payload: {\"input\": …}."),
            ("result", "The run's result as JSON text when it completed (a string result keeps its quotes)."),
            ("error", "Why the run did not complete: a JSON object with code, message, step and event."),
            ("error_code", "The error's code, e.g. step-failed or stalled."),
            ("error_message", "The error as a sentence."),
            ("version", "The workflow version given by its author, if any."),
            ("fingerprint", "Hash of the workflow's steps and event types when the run started."),
            ("owner", "The process that holds or last held the run's lease (host:pid:suffix)."),
            ("lease_expires_at", "When that lease expires or expired (ISO-8601 UTC)."),
            ("origin_run_id", "For a fork: the run it was forked from."),
            ("origin_seq", "For a fork: the event seq of the origin it was forked at."),
            ("resumes", "How many times a process took the run over from the journal."),
            ("pruned_at", "When cairn db prune deleted the run's history (its summary stays); NULL while it has it."),
        ]),
        JournalView(name: "events", summary: "Every event of every run, gapless per run from seq 1 (the start event).", columns: [
            ("run_id", "The run."),
            ("seq", "The event's position in the run: 1, 2, 3, … with no gaps."),
            ("name", "The event type's persisted name, e.g. inventory.order."),
            ("payload", "The event as JSON."),
            ("execution_id", "The step execution that emitted it; NULL for the start event."),
            ("step", "The step that emitted it."),
            ("target", "The one step it was sent to (context.send(_:to:)); NULL when every subscribed step received it."),
            ("at", "When the emitting step committed."),
        ]),
        JournalView(name: "step_executions", summary: "One row per attempt of a step execution.", columns: [
            ("run_id", "The run."),
            ("execution_id", "The execution: stable across its attempts."),
            ("step", "The step's name."),
            ("attempt", "1 for the first attempt; a crash, an error or a timeout makes the next."),
            ("triggers", "The seqs of the events the execution handled (a JSON array; several for a join)."),
            ("started_at", "When the attempt started."),
            ("finished_at", "When it ended; NULL if it never did (its process died)."),
            ("duration_s", "Seconds the attempt took."),
            ("outcome", "completed, failed, timed_out, abandoned (still running when its run ended; it never runs again), or unfinished (its process died, or the run was interrupted: it runs again on resume)."),
            ("error", "The error of a failed attempt."),
            ("retry_at", "When the next attempt was due, for a failed or timed-out attempt."),
        ]),
        JournalView(name: "side_effects", summary: "Memoised side effects (context.run): journaled the moment they returned.", columns: [
            ("run_id", "The run."),
            ("execution_id", "The execution that paid for it."),
            ("step", "The step."),
            ("attempt", "The attempt that paid for it; later attempts reuse the result."),
            ("key", "The name given to context.run, with #n for its n-th call in the execution."),
            ("result", "The result as JSON."),
            ("at", "When it returned."),
        ]),
    ]
}
