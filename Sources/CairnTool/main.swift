import CairnCLI
import CairnInventory

// The `cairn` executable: the CLI over the shipped example workflows.
await CairnCLI.main(workflows: [
    WorkflowRegistration(HelloWorkflow()),
    WorkflowRegistration(FeedbackMonitor()),
    WorkflowRegistration(ComplexFeedbackMonitor()),
])
