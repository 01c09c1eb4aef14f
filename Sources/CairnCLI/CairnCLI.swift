import ArgumentParser

/// The `cairn` command over a set of workflows. A user's package gets the same CLI over its own
/// workflows by calling this from its `main`.
///
/// ## Usage
/// ```swift
/// @main struct MyTool {
///     static func main() async {
///         await CairnCLI.main(workflows: [WorkflowRegistration(MyWorkflow())])
///     }
/// }
/// ```
public enum CairnCLI {
    @TaskLocal static var workflows: [WorkflowRegistration] = []

    /// Parses the process's arguments, runs the command and exits with the contract's exit code.
    public static func main(workflows: [WorkflowRegistration]) async {
        await $workflows.withValue(workflows) {
            await CairnCommand.main()
        }
    }
}

/// The root command.
struct CairnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "A durable, event-driven workflow engine: run, resume and inspect journaled workflow runs.",
        discussion: """
            Every run is journaled to an SQLite file (--db). A run killed half-way is resumed where it stopped.

            Exit codes: 0 success; 1 the run failed, was cancelled or timed out, or the operation failed; \
            64 usage error; 65 bad input data; 66 run or file not found; 3 run owned by a live process; \
            4 journal newer than this binary; 130 interrupted (resumable).
            """,
        groupedSubcommands: [
            CommandGroup(name: "Runs", subcommands: [Run.self, Resume.self, List.self, Cancel.self]),
            CommandGroup(name: "Inspect", subcommands: [Show.self, Follow.self, Audit.self, Ledger.self, Sql.self, Draw.self]),
            CommandGroup(name: "History", subcommands: [Replay.self, Fork.self, Diff.self]),
            CommandGroup(name: "Journal", subcommands: [Db.self]),
        ]
    )

    @OptionGroup var global: GlobalOptions
}
