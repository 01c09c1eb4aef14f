import Cairn
import CairnSQLite
import Foundation

/// Prints a user's query as its rows arrive, a page at a time: a table (column widths from the first
/// page), CSV, or with `--json` one array of objects per statement, on one line.
struct QueryPrinter {
    enum Format {
        case table, csv, json
    }

    let format: Format
    let output: Output
    private var columns: [String] = []
    private var keys: [String] = []
    private var widths: [Int]?
    private var printed = 0

    init(_ format: Format, _ output: Output) {
        self.format = format
        self.output = output
    }

    mutating func take(_ part: QueryOutput) {
        switch part {
        case .columns(let names):
            (columns, keys, widths, printed) = (names, ReadOnlyJournal.Result.distinct(names), nil, 0)
            if format == .csv { output.exact(names.map(CSV.field).joined(separator: ",")) }
        case .rows(let page):
            print(page)
            printed += page.count
        case .end:
            switch format {
            case .table: if printed == 0 { output.line("(no rows)") }
            case .csv: break
            case .json: output.exact(printed == 0 ? "[]" : "]")
            }
        }
    }

    private mutating func print(_ page: [[SQLValue]]) {
        switch format {
        case .table:
            let table = Table(header: columns.map { $0.uppercased() }, rows: page.map { $0.map(\.text) })
            let widths = self.widths ?? table.widths
            let lines = table.lines(widths: widths)
            output.line((self.widths == nil ? lines : Array(lines.dropFirst())).joined(separator: "\n"))
            self.widths = widths
        case .csv:
            output.exact(page.map { $0.map { CSV.field($0.text) }.joined(separator: ",") }.joined(separator: "\n"))
        case .json:
            var text = ""
            for (index, row) in page.enumerated() {
                text += (printed == 0 && index == 0 ? "[" : ",") + ((try? CairnJSON.text(Dictionary(uniqueKeysWithValues: zip(keys, row)))) ?? "{}")
            }
            output.piece(text)
        }
    }
}

/// RFC 4180 fields.
enum CSV {
    static func field(_ text: String) -> String {
        text.contains { ",\"\n\r".contains($0) } ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
