public import ArgumentParser
public import Cairn
public import CairnServer
public import CairnSQLite
import Foundation

/// The `cairn` command over a set of workflows. A user's package gets the same CLI over its own
/// workflows by calling this from its `main`; a domain library adds its tables and commands as a plug-in.
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
    @TaskLocal static var plugins: [CairnPlugin] = []

    /// Parses the process's arguments, runs the command and exits with the contract's exit code.
    public static func main(plugins: [CairnPlugin]) async {
        await $plugins.withValue(plugins) {
            await CairnCommand.mainReportingInOneLine()
        }
    }

    /// The CLI over `workflows` alone: no domain tables, no domain commands.
    public static func main(workflows: [WorkflowRegistration]) async {
        await main(plugins: [CairnPlugin(workflows: workflows)])
    }

    static var workflows: [WorkflowRegistration] { plugins.flatMap(\.workflows) }
    static var journalExtensions: [JournalExtension] { plugins.compactMap(\.journal) }
}

/// What a library adds to the `cairn` command: its workflows, its journal tables and views, its commands, and
/// the queries `cairn serve` answers over its tables.
public struct CairnPlugin: Sendable {
    public let workflows: [WorkflowRegistration]
    /// The domain's tables, views and checks, migrated with the journal's.
    public let journal: JournalExtension?
    /// The domain's commands, shown under their group's name in `--help`. Each is a ``CairnSubcommand``.
    public let commands: CommandGroup?
    /// The domain's paths of the HTTP API, over the journal of the command's environment.
    public let api: (@Sendable (CommandEnvironment) async throws -> APIExtension)?

    public init(workflows: [WorkflowRegistration] = [], journal: JournalExtension? = nil, commands: CommandGroup? = nil,
                api: (@Sendable (CommandEnvironment) async throws -> APIExtension)? = nil) {
        self.workflows = workflows
        self.journal = journal
        self.commands = commands
        self.api = api
    }
}

/// The root command.
public struct CairnCommand: AsyncParsableCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "cairn",
            abstract: "A durable, event-driven workflow engine: run, resume and inspect journaled workflow runs.",
            discussion: """
                Every run is journaled to an SQLite file (--db). A run killed half-way is resumed where it stopped.

                Exit codes: 0 success; 1 the run failed, was cancelled or timed out, or the operation failed; \
                64 usage error; 65 bad input data; 66 run or file not found; 3 run owned by a live process; \
                4 journal newer than this binary; 130 interrupted (resumable).
                """,
            version: "cairn \(CairnRelease.version) (writes journal schema \(JournalMigrations.all.last?.identifier ?? "none"))",
            groupedSubcommands: [
                CommandGroup(name: "Runs", subcommands: [Run.self, Resume.self, List.self, Cancel.self, Send.self, Worker.self, Serve.self]),
                CommandGroup(name: "Inspect", subcommands: [Show.self, Follow.self, Sql.self, Draw.self, Workflows.self]),
                CommandGroup(name: "History", subcommands: [Replay.self, Fork.self, Diff.self, Export.self, Import.self]),
                CommandGroup(name: "Journal", subcommands: [Db.self]),
            ] + CairnCLI.plugins.compactMap(\.commands)
        )
    }

    @OptionGroup public var global: GlobalOptions

    public init() {}

    /// ArgumentParser's `main`, except that a usage error is one line on stderr — what was wrong, and where
    /// the help is — like every other error of the contract. Help and version still print in full.
    static func mainReportingInOneLine() async {
        do {
            if let repeated = UsageErrors.repeatedOption(in: Array(CommandLine.arguments.dropFirst())) {
                throw ValidationError(repeated)
            }
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)  // the command said what happened; asking the parser would build its help
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                let text = fullMessage(for: error)  // help or version; a command's own success says nothing more
                if !text.isEmpty { print(text) }
            } else {
                var message = UsageErrors.reworded(message(for: error).split(whereSeparator: \.isNewline).joined(separator: "; "))
                if message.hasSuffix(".") { message.removeLast() }
                let help = fullMessage(for: error).firstMatch(of: /See '(cairn[^']*)'/).map { String($0.1) } ?? "cairn --help"
                _ = Exit.fail(message: "\(message); see \(help)", code: code.rawValue, json: CommandLine.arguments.contains("--json"))
            }
            Foundation.exit(code.rawValue)
        }
    }
}

/// A `cairn` subcommand: the journal options, the environment and the one-sentence error handling are
/// shared; the command writes only what it does, in ``run(in:)``.
///
/// ## Usage
/// ```swift
/// struct Audit: CairnSubcommand {
///     @OptionGroup var options: GlobalOptions
///     @ParentCommand var root: CairnCommand
///     func run(in environment: CommandEnvironment) async throws {
///         environment.output.rows(try environment.readOnlyJournal().rows("SELECT * FROM decisions"))
///     }
/// }
/// ```
public protocol CairnSubcommand: AsyncParsableCommand {
    var options: GlobalOptions { get }
    var root: CairnCommand { get }
    /// The command's work. A thrown error becomes one sentence on stderr and the contract's exit code;
    /// a thrown `ExitCode` is the exit code as it is.
    func run(in environment: CommandEnvironment) async throws
}

extension CairnSubcommand {
    public func run() async throws {
        let json = options.json || root.global.json
        do {
            let environment = try CommandEnvironment(options, root: root.global)
            do {
                try await run(in: environment)
            } catch {
                await environment.closeJournals()
                throw error
            }
            await environment.closeJournals()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw Exit.fail(error, json: json)
        }
    }
}
