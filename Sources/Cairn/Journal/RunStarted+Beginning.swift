import Foundation

extension RunStarted {
    /// The first record of a new run of `workflow` (whose validated graph is `graph`) with `input`.
    /// - Throws: ``CairnError`` when the input does not encode, or is over `payloadLimit`.
    static func beginning<W: Workflow>(
        _ workflow: W, graph: WorkflowGraph, input: W.Input, id: RunID, at: Date, deadline: Date?, payloadLimit: PayloadLimit,
        seed: UInt64? = nil, store: [StoreWrite] = [], parent: ParentLink? = nil
    ) throws -> RunStarted {
        let start = StartEvent(input)
        let payload = try WorkflowContext.encode(start)
        try payloadLimit.check(payload, "the input of workflow '\(W.name)'", within: "input")
        return RunStarted(
            runID: id, workflow: W.name, fingerprint: graph.fingerprint, shape: graph.shape,
            version: workflow.version, patches: workflow.patches.sorted(), seed: seed, deadline: deadline, at: at,
            start: JournaledEvent(seq: 1, name: StartEvent<W.Input>.eventName, payload: payload, executionID: nil, value: start),
            store: store, accepts: graph.acceptedNames.sorted(), parent: parent)
    }
}
