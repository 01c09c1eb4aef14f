/// What changed between the workflow shape a run recorded at its start and the shape of today's code, in
/// words: steps added, removed or renamed, and the event names a step consumes or emits.
struct ShapeChange {
    /// One line of ``WorkflowGraph/shape``: `name kind(consumed)->(emitted)`.
    private struct StepShape: Hashable {
        let name: String
        let kind: String
        let consumes: String
        let emits: String

        /// Everything but the name: two steps with one signature are a rename.
        var signature: String { "\(kind)(\(consumes))->(\(emits))" }

        init?(_ line: Substring) {
            guard let match = line.wholeMatch(of: /(.+) (step|join\[[^\]]*\])\((.*)\)->\((.*)\)/) else { return nil }
            (name, kind, consumes, emits) = (String(match.1), String(match.2), String(match.3), String(match.4))
        }
    }

    /// The differences, one phrase each, in a stable order; empty when the shapes are the same.
    let changes: [String]

    init(old: String, new: String) {
        func steps(_ shape: String) -> [String: StepShape] {
            Dictionary(shape.split(separator: "\n").compactMap(StepShape.init).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        }
        let before = steps(old), after = steps(new)
        var removed = before.keys.filter { after[$0] == nil }.sorted()
        var added = after.keys.filter { before[$0] == nil }.sorted()
        var changes: [String] = []
        for name in removed {
            guard let signature = before[name]?.signature,
                  let renamed = added.first(where: { after[$0]?.signature == signature }) else { continue }
            changes.append("step '\(name)' was renamed '\(renamed)'")
            removed.removeAll { $0 == name }
            added.removeAll { $0 == renamed }
        }
        changes += removed.map { "step '\($0)' was removed" }
        changes += added.map { "step '\($0)' was added" }
        for name in before.keys.sorted() {
            guard let was = before[name], let now = after[name] else { continue }
            if was.kind != now.kind { changes.append("step '\(name)' was \(was.kind) and is now \(now.kind)") }
            if was.consumes != now.consumes {
                changes.append("step '\(name)' consumed (\(was.consumes)) and now consumes (\(now.consumes))")
            }
            if was.emits != now.emits { changes.append("step '\(name)' emitted (\(was.emits)) and now emits (\(now.emits))") }
        }
        if changes.isEmpty, old != new { changes.append("the shape was:\n\(old)\nand is now:\n\(new)") }
        self.changes = changes
    }
}
