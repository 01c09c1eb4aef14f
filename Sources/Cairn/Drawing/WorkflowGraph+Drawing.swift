extension WorkflowGraph {
    /// Every possible flow (the article's `draw_all_possible_flows`) as a Mermaid flowchart:
    /// steps are boxes, event types are rounded nodes, arrows follow the declared signatures.
    public var mermaid: String {
        var lines = ["flowchart TD"]
        for (name, _) in eventNodes {
            let shape = name == startType.eventName || name == stopType.eventName ? "([\"\(name)\"])" : "(\"\(name)\")"
            lines.append("    \(nodeID(event: name))\(shape)")
        }
        for step in steps {
            let label = step.isJoin ? "join: \(step.name)" : step.name
            lines.append("    \(nodeID(step: step.name))[\"\(label)\"]")
        }
        for (from, to, label) in edges {
            lines.append("    \(from) -->\(label.map { "|\($0)|" } ?? "") \(to)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Every possible flow as a Graphviz DOT digraph.
    public var dot: String {
        var lines = ["digraph \"\(name)\" {", "    rankdir=TB;"]
        for (name, _) in eventNodes {
            let style = name == startType.eventName || name == stopType.eventName ? ", style=bold" : ""
            lines.append("    \(nodeID(event: name)) [label=\"\(name)\", shape=ellipse\(style)];")
        }
        for step in steps {
            let label = step.isJoin ? "join: \(step.name)" : step.name
            lines.append("    \(nodeID(step: step.name)) [label=\"\(label)\", shape=box];")
        }
        for (from, to, label) in edges {
            lines.append("    \(from) -> \(to)\(label.map { " [label=\"\($0)\"]" } ?? "");")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Event nodes in a stable order: start first, stop last, the rest by name.
    private var eventNodes: [(String, any Event.Type)] {
        let start = startType.eventName, stop = stopType.eventName
        let middle = eventTypes.keys.filter { $0 != start && $0 != stop }.sorted()
        return ([start] + middle + [stop]).compactMap { name in eventTypes[name].map { (name, $0) } }
    }

    /// Event → step (consumes, with the count for counted joins) and step → event (emits).
    private var edges: [(from: String, to: String, label: String?)] {
        var edges: [(String, String, String?)] = []
        for step in steps {
            for name in step.consumedNames {
                let count = step.join?.required.first { $0.name == name }?.count ?? 1
                edges.append((nodeID(event: name), nodeID(step: step.name), count > 1 ? "×\(count)" : nil))
            }
            for name in step.emittedNames {
                edges.append((nodeID(step: step.name), nodeID(event: name), nil))
            }
        }
        return edges
    }

    private func nodeID(step: String) -> String { "step_" + sanitized(step) }
    private func nodeID(event: String) -> String { "event_" + sanitized(event) }

    private func sanitized(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}
