import ArgumentParser
import Cairn
import Foundation

struct Workflows: CairnSubcommand {
    static let configuration = CommandConfiguration(
        abstract: "List the workflows this binary runs: their inputs, steps and events.",
        discussion: """
            Examples:
              cairn workflows
              cairn workflows feedback-monitor --json
            """
    )

    @Argument(help: "Only this workflow.", completion: Completions.workflows)
    var workflow: String?

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func run(in environment: CommandEnvironment) async throws {
        let registrations = try workflow.map { [try environment.workflow(named: $0)] } ?? CairnCLI.workflows.sorted { $0.name < $1.name }
        let output = environment.output
        if output.json { return output.json(registrations.map(WorkflowDescription.init)) }
        for (index, registration) in registrations.enumerated() {
            if index > 0 { output.line("") }
            let description = WorkflowDescription(registration)
            output.line("\(description.name)\(description.version.map { " (version \($0))" } ?? "")  fingerprint \(description.fingerprint)")
            output.line("  input  " + WorkflowHelp.input(of: registration).joined(separator: "\n         "))
            if let topic = description.startsOn { output.line("  starts on every published \(topic), with it as input") }
            if !description.accepts.isEmpty { output.line("  accepts " + description.accepts.joined(separator: ", ") + " (cairn send)") }
            output.line("  steps")
            for step in description.steps {
                output.line("    \(step.name): \(step.consumes.joined(separator: " | ")) → \(step.emits.isEmpty ? "nothing" : step.emits.joined(separator: " | "))")
            }
        }
    }
}

/// How help text shows the registered workflows and their inputs.
enum WorkflowHelp {
    /// The input's fields, one a line (`"sku": non-empty string, required — the SKU to watch`), or what it is.
    static func input(of registration: WorkflowRegistration) -> [String] {
        guard let fields = registration.inputFields else { return [registration.inputKind] }
        guard !fields.isEmpty else { return ["{} (no fields)"] }
        return fields.map { field in
            "\"\(field.name)\": \(field.kind), " + (field.required ? "required" : field.defaultValue.map { "default \($0)" } ?? "optional")
                + " — \(field.summary)"
        }
    }

    /// Every registered workflow with its input, for `cairn run --help` and the error of a run with none named.
    static var catalogue: String {
        CairnCLI.workflows.sorted { $0.name < $1.name }.map { registration in
            "  \(registration.name)\n" + input(of: registration).map { "      \($0)" }.joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
