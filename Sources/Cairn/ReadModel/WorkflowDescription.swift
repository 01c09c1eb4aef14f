/// One registered workflow, as `cairn workflows --json` and the HTTP API describe it.
public struct WorkflowDescription: Encodable, Sendable {
    public struct StepLine: Encodable, Sendable {
        public let name: String
        public let consumes: [String]
        public let emits: [String]
    }

    public let name: String
    public let version: String?
    public let fingerprint: String
    public let input: String
    public let inputFields: [InputField]?
    public let steps: [StepLine]
    public let events: [String]
    /// The events its runs accept from outside (`cairn send`).
    public let accepts: [String]
    /// The published event a run of it starts on (a subscriber), if any.
    public let startsOn: String?

    public init(_ registration: WorkflowRegistration) {
        name = registration.name
        version = registration.version
        fingerprint = registration.graph.fingerprint
        input = registration.inputKind
        inputFields = registration.inputFields
        steps = registration.graph.steps.map { StepLine(name: $0.name, consumes: $0.consumedNames.sorted(), emits: $0.emittedNames.sorted()) }
        events = Array(Set(registration.graph.steps.flatMap { $0.consumedNames + $0.emittedNames })).sorted()
        accepts = registration.graph.acceptedNames.sorted()
        startsOn = registration.topic
    }
}
