extension Drawing.Trace {
    /// What one run did, from its journal: attempts and time per step, events counted (the ones it published
    /// apart), and the runs its steps started (`children`, its runs with it as parent), grouped by step, workflow
    /// and the published event that started them.
    public init(_ detail: RunDetail, children: [RunSummary]) {
        var steps: [String: (attempts: Int, seconds: Double)] = [:]
        for entry in detail.timeline where entry.kind == .attempt {
            let step = entry.step ?? ""
            steps[step] = ((steps[step]?.attempts ?? 0) + 1, (steps[step]?.seconds ?? 0) + (entry.durationSeconds ?? 0))
        }
        let events = detail.records.flatMap(\.events)
        let counts = Dictionary(events.filter { !$0.published }.map { ($0.name, 1) }, uniquingKeysWith: +)
        let executions = Dictionary(detail.timeline.compactMap { entry in entry.executionId.map { ($0, entry.step ?? "") } }) { first, _ in first }
        let published = Dictionary(events.filter(\.published).map { ($0.seq, $0.name) }) { first, _ in first }
        var groups: [Drawing.StartedRuns] = []
        for child in children {
            let step = child.parentExecution.flatMap { executions[$0] } ?? "?"
            let event = child.publishedSeq.flatMap { published[$0] }
            if let index = groups.firstIndex(where: { $0.step == step && $0.workflow == child.workflow && $0.published == event }) {
                groups[index].count += 1
                groups[index].statuses[child.displayStatus, default: 0] += 1
            } else {
                groups.append(Drawing.StartedRuns(step: step, workflow: child.workflow, published: event, count: 1, statuses: [child.displayStatus: 1]))
            }
        }
        self.init(steps: steps, events: counts, started: groups.sorted { ($0.step, $0.workflow) < ($1.step, $1.workflow) })
    }
}
