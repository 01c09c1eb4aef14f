/// Metadata keys Cairn puts on its log lines.
package enum LoggingKeys {
    package static let runID = "cairn.run.id"
    package static let workflow = "cairn.workflow.name"
    package static let stepName = "cairn.step.name"
    package static let executionID = "cairn.execution.id"
    package static let attempt = "cairn.step.attempt"
}
