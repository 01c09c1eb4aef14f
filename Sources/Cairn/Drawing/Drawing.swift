import Foundation

/// Pictures of a workflow: every possible flow (the article's `draw_all_possible_flows`), optionally with
/// the path one run took — how often each step ran, for how long, and how many of each event it saw.
///
/// Steps are boxes, event types rounded nodes; arrows follow the declared signatures.
public struct Drawing: Sendable {
    /// What one run did, for ``WorkflowGraph`` drawings of that run.
    public struct Trace: Sendable {
        /// Per step name: attempts and total seconds.
        public var steps: [String: (attempts: Int, seconds: Double)]
        /// Per event name: how many were journaled.
        public var events: [String: Int]
        /// The runs the run's steps started, grouped by the step, the workflow and how (the published event's name,
        /// else `start`).
        public var started: [StartedRuns]

        public init(steps: [String: (attempts: Int, seconds: Double)], events: [String: Int], started: [StartedRuns] = []) {
            self.steps = steps
            self.events = events
            self.started = started
        }
    }

    /// Runs of one workflow that one step of the drawn run started.
    public struct StartedRuns: Sendable, Equatable {
        public var step: String
        public var workflow: String
        /// The published event that started them; `nil` for children started or called.
        public var published: String?
        /// How many, and how they stand: `3 completed`, `1 waiting`, ….
        public var count: Int
        public var statuses: [String: Int]

        public init(step: String, workflow: String, published: String?, count: Int, statuses: [String: Int]) {
            self.step = step
            self.workflow = workflow
            self.published = published
            self.count = count
            self.statuses = statuses
        }
    }

    struct Node {
        let id: String
        let label: String
        let isStep: Bool
        let isEndpoint: Bool
        let visited: Bool
    }

    /// The workflow drawn.
    public let graph: WorkflowGraph
    let trace: Trace?

    public init(_ graph: WorkflowGraph, trace: Trace? = nil) {
        self.graph = graph
        self.trace = trace
    }

    /// A Mermaid flowchart.
    public var mermaid: String {
        var lines = ["flowchart TD"]
        for node in nodes {
            let open = node.isStep ? "[" : node.isEndpoint ? "([" : "("
            let close = node.isStep ? "]" : node.isEndpoint ? "])" : ")"
            lines.append("    \(node.id)\(open)\"\(node.label)\"\(close)")
        }
        for edge in edges {
            lines.append("    \(edge.from) -->\(edge.label.map { "|\($0)|" } ?? "") \(edge.to)")
        }
        if trace != nil {
            lines.append("    classDef visited stroke-width:3px,stroke:#1f6feb")
            let visited = nodes.filter(\.visited).map(\.id)
            if !visited.isEmpty { lines.append("    class \(visited.joined(separator: ",")) visited") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Graphviz DOT digraph.
    public var dot: String {
        var lines = ["digraph \"\(graph.name)\" {", "    rankdir=TB;"]
        for node in nodes {
            let shape = node.isStep ? "box" : "ellipse"
            var style = node.isEndpoint ? ", style=bold" : ""
            if node.visited { style += ", color=\"#1f6feb\", penwidth=2" }
            lines.append("    \(node.id) [label=\"\(node.label)\", shape=\(shape)\(style)];")
        }
        for edge in edges {
            lines.append("    \(edge.from) -> \(edge.to)\(edge.label.map { " [label=\"\($0)\"]" } ?? "");")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    var nodes: [Node] {
        let start = graph.startType.eventName, stop = graph.stopType.eventName
        let middle = graph.eventTypes.keys.filter { $0 != start && $0 != stop }.sorted()
        let external = Set(graph.acceptedNames)
        let events = ([start] + middle + [stop]).filter { graph.eventTypes[$0] != nil }.map { name in
            let count = trace?.events[name]
            // An accepted event is an entry point like the start: it comes from outside the run.
            return Node(id: Self.id(event: name), label: name + (external.contains(name) ? " (external)" : "") + (count.map { " ×\($0)" } ?? ""),
                        isStep: false, isEndpoint: name == start || name == stop || external.contains(name), visited: (count ?? 0) > 0)
        }
        let steps = graph.steps.map { step in
            let run = trace?.steps[step.name]
            let figures = run.map { String(format: " · %d× · %.3f s", $0.attempts, $0.seconds) } ?? ""
            return Node(id: Self.id(step: step.name), label: (step.isJoin ? "join: " : "") + step.name + figures, isStep: true,
                        isEndpoint: false, visited: (run?.attempts ?? 0) > 0)
        }
        let runs = (trace?.started ?? []).map { group in
            let statuses = group.statuses.sorted { $0.key < $1.key }.map { "\($1) \($0)" }.joined(separator: ", ")
            return Node(id: Self.id(runs: group.workflow), label: "run: \(group.workflow) ×\(group.count) (\(statuses))", isStep: false,
                        isEndpoint: true, visited: true)
        }
        return events + steps + runs.reduce(into: [Node]()) { unique, node in if !unique.contains(where: { $0.id == node.id }) { unique.append(node) } }
    }

    /// Event → step (consumes, with the count for counted joins) and step → event (emits).
    var edges: [(from: String, to: String, label: String?)] {
        graph.steps.flatMap { step in
            step.consumedNames.map { name in
                let count = step.join?.required.first { $0.name == name }?.count ?? 1
                return (Self.id(event: name), Self.id(step: step.name), count > 1 ? "×\(count)" : nil)
            } + step.emittedNames.map { (Self.id(step: step.name), Self.id(event: $0), nil) }
        } + (trace?.started ?? []).map { group in
            (Self.id(step: group.step), Self.id(runs: group.workflow), group.published.map { "publishes \($0)" } ?? "starts")
        }
    }

    static func id(step: String) -> String { "step_" + sanitized(step) }
    static func id(event: String) -> String { "event_" + sanitized(event) }
    static func id(runs workflow: String) -> String { "runs_" + sanitized(workflow) }

    private static func sanitized(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}

extension WorkflowGraph {
    /// Every possible flow as a Mermaid flowchart.
    public var mermaid: String { Drawing(self).mermaid }
    /// Every possible flow as a Graphviz DOT digraph.
    public var dot: String { Drawing(self).dot }
}
