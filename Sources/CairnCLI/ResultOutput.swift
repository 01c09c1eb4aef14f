import CairnSQLite
import Foundation

extension Output {
    /// Prints one progress event: its message when it has one, else its name and payload; with --json,
    /// one object per line.
    func progress(position: Int, step: String, name: String, payload: String) {
        if json {
            self.json(["type": "event", "position": position, "name": name, "step": step, "payload": Output.parsed(payload)])
        } else if let message = (Output.parsed(payload) as? [String: Any])?["message"] as? String {
            line("  \(step): \(message)")
        } else {
            line("  \(step): \(name) \(payload)")
        }
    }

    /// Prints a progress row read from `stream_event` (stream_position, step, name, payload).
    func progress(_ row: [String: ReadOnlyJournal.Value]) {
        progress(position: Int(row["stream_position"]?.text ?? "") ?? 0, step: row["step"]?.text ?? "",
                 name: row["name"]?.text ?? "", payload: row["payload"]?.text ?? "")
    }

    /// Prints how a journaled run ended, from its `runs` row (status, result, error).
    func outcome(runID: String, _ run: [String: ReadOnlyJournal.Value]) {
        let status = run["status"]?.text ?? ""
        if json {
            self.json(["runId": runID, "status": status, "result": Output.parsed(run["result"]?.text ?? "null"),
                       "error": run["error"]?.json ?? NSNull()])
        } else {
            line(status == "completed" ? "completed; result: \(run["result"]?.text ?? "")" : "\(status): \(run["error"]?.text ?? "")")
        }
    }

    /// Prints query rows: a table, or with --json an array of objects.
    func rows(_ result: ReadOnlyJournal.Result, empty: String? = nil) {
        if json {
            self.json(result.rows.map { row in Dictionary(uniqueKeysWithValues: zip(result.columns, row.map(\.json))) })
        } else if result.rows.isEmpty {
            line(empty ?? "(no rows)")
        } else {
            Table(header: result.columns.map { $0.uppercased() }, rows: result.rows.map { $0.map(\.text) }).lines.forEach(line)
        }
    }

    /// Prints query rows as CSV (RFC 4180 quoting).
    func csv(_ result: ReadOnlyJournal.Result) {
        func field(_ text: String) -> String {
            text.contains { ",\"\n\r".contains($0) } ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        line(result.columns.map(field).joined(separator: ","))
        for row in result.rows { line(row.map { field($0.text) }.joined(separator: ",")) }
    }
}
