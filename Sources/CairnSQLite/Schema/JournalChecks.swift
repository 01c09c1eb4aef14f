/// The journal's own consistency checks (`cairn db check`): each query returns one row per problem found.
/// A domain adds its own in its ``JournalExtension``.
public enum JournalChecks {
    public static let core: [JournalCheck] = [
        JournalCheck("seq gap", """
            SELECT run_id, 'events', COUNT(*), 'max seq', MAX(seq) FROM event GROUP BY run_id HAVING COUNT(*) != MAX(seq)
            """),
        JournalCheck("orphan event", "SELECT run_id, seq FROM event WHERE run_id NOT IN (SELECT run_id FROM run)"),
        JournalCheck("event without its commit", """
            SELECT e.run_id, e.seq FROM event AS e WHERE NOT EXISTS (
              SELECT 1 FROM journal AS j WHERE j.run_id = e.run_id AND j.position = e.position)
            """),
        JournalCheck("run without start", """
            SELECT run_id FROM run WHERE pruned_at IS NULL AND NOT EXISTS (SELECT 1 FROM event WHERE event.run_id = run.run_id AND seq = 1)
            """),
        JournalCheck("execution completed twice", """
            SELECT run_id, execution_id FROM journal WHERE kind = 'execution_finished' AND outcome = 'completed'
            GROUP BY run_id, execution_id HAVING COUNT(*) > 1
            """),
        JournalCheck("run ended without its end record", """
            SELECT run_id, status FROM run WHERE finished_at IS NOT NULL AND NOT EXISTS (
              SELECT 1 FROM journal WHERE journal.run_id = run.run_id AND journal.kind = 'run_finished')
            """),
    ]
}
