import Foundation

extension Drawing {
    /// One self-contained HTML page with the graph as inline SVG (``svg``): no script, no CDN, no network — it
    /// renders offline in any browser.
    public var html: String {
        let title = trace == nil ? "every possible flow" : "the path of one run"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(graph.name)) — \(title)</title>
            <style>body{font-family:system-ui,sans-serif;margin:24px;color:#1f2328}svg text{font-family:system-ui,sans-serif}</style>
            </head><body>
            <h1>\(escape(graph.name))</h1>
            <p>\(title): steps are boxes, events rounded; blue marks what the run visited.</p>
            \(svg)
            </body></html>

            """
    }

    /// The graph as one SVG element, every label escaped. Nodes are laid out in layers by their distance from the
    /// start event.
    public var svg: String {
        let layout = Layout(nodes: nodes, edges: edges, start: Self.id(event: graph.startType.eventName))
        var svg: [String] = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(layout.width)\" height=\"\(layout.height)\" "
                + "viewBox=\"0 0 \(layout.width) \(layout.height)\" role=\"img\" aria-label=\"\(escape(graph.name))\">",
            "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
                + "orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#57606a\"/></marker></defs>",
        ]
        for edge in edges {
            guard let from = layout.position[edge.from], let to = layout.position[edge.to] else { continue }
            let (x1, y1) = (from.x, from.y + Layout.nodeHeight / 2), (x2, y2) = (to.x, to.y - Layout.nodeHeight / 2)
            let path = to.y > from.y
                ? "M \(x1) \(y1) C \(x1) \(y1 + 30), \(x2) \(y2 - 30), \(x2) \(y2)"
                : "M \(from.x + Layout.nodeWidth / 2) \(from.y) C \(from.x + Layout.nodeWidth) \(from.y), "
                    + "\(to.x + Layout.nodeWidth) \(to.y), \(to.x + Layout.nodeWidth / 2) \(to.y)"  // a loop back up
            svg.append("<path class=\"edge\" d=\"\(path)\" fill=\"none\" stroke=\"#57606a\" stroke-width=\"1.4\" marker-end=\"url(#arrow)\"/>")
            if let label = edge.label {
                svg.append("<text x=\"\((x1 + x2) / 2 + 6)\" y=\"\((y1 + y2) / 2)\" font-size=\"11\" fill=\"#57606a\">\(escape(label))</text>")
            }
        }
        for node in nodes {
            guard let point = layout.position[node.id] else { continue }
            let stroke = node.visited ? "#1f6feb" : "#57606a", width = node.visited ? 2.5 : 1.2
            let fill = node.isStep ? "#ddf4ff" : node.isEndpoint ? "#fff8c5" : "#ffffff"
            let (x, y) = (point.x - Layout.nodeWidth / 2, point.y - Layout.nodeHeight / 2)
            let radius = node.isStep ? 4 : Layout.nodeHeight / 2
            svg.append("<g class=\"node \(node.isStep ? "step" : "event")\" id=\"\(node.id)\">"
                + "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(Layout.nodeWidth)\" height=\"\(Layout.nodeHeight)\" rx=\"\(radius)\" "
                + "fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"\(width)\"/>"
                + "<text x=\"\(point.x)\" y=\"\(point.y + 4)\" text-anchor=\"middle\" font-size=\"12\">\(escape(node.label))</text></g>")
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Layers by breadth-first distance from the start event; nodes of a layer side by side.
    struct Layout {
        static let nodeWidth = 230.0, nodeHeight = 34.0, columnGap = 30.0, rowGap = 46.0

        var position: [String: (x: Double, y: Double)] = [:]
        var width = 0.0, height = 0.0

        init(nodes: [Node], edges: [(from: String, to: String, label: String?)], start: String) {
            var layer: [String: Int] = [start: 0]
            var queue = [start]
            while !queue.isEmpty {
                let id = queue.removeFirst()
                for edge in edges where edge.from == id && layer[edge.to] == nil {
                    layer[edge.to] = layer[id]! + 1
                    queue.append(edge.to)
                }
            }
            let deepest = layer.values.max() ?? 0
            for node in nodes where layer[node.id] == nil { layer[node.id] = deepest + 1 }  // unreachable: drawn last
            let rows = Dictionary(grouping: nodes.map(\.id)) { layer[$0]! }
            let widest = rows.map { $0.value.count }.max() ?? 1
            width = Double(widest) * (Self.nodeWidth + Self.columnGap) + Self.nodeWidth
            height = Double(rows.count) * (Self.nodeHeight + Self.rowGap) + Self.rowGap
            for (row, entry) in rows.sorted(by: { $0.key < $1.key }).enumerated() {
                let ids = entry.value
                let offset = (width - Double(ids.count) * (Self.nodeWidth + Self.columnGap)) / 2
                for (column, id) in ids.enumerated() {
                    position[id] = (offset + Double(column) * (Self.nodeWidth + Self.columnGap) + Self.nodeWidth / 2,
                                    Self.rowGap + Double(row) * (Self.nodeHeight + Self.rowGap) + Self.nodeHeight / 2)
                }
            }
        }
    }
}
