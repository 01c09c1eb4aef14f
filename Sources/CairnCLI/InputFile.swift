import Cairn
import Foundation

/// Reads a file named on the command line — a regular file, a pipe (`/dev/stdin`, `<(…)`), or `-` for
/// standard input — whole.
enum InputFile {
    static func read(_ path: String) throws -> Data {
        let handle = path == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: path)
        guard let handle else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw CairnError(.fileNotFound, exists ? "cannot read \(path): permission denied" : "no file at \(path)")
        }
        do {
            return try handle.readToEnd() ?? Data()
        } catch {
            throw CairnError(.fileNotFound, "cannot read \(path): \((error as NSError).localizedDescription)")
        }
    }
}
