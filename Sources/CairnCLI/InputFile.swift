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

    /// A JSON argument given inline, or as `@file` (`@-` for standard input); `{}` when not given.
    static func json(_ argument: String?) throws -> Data {
        guard let argument else { return Data("{}".utf8) }
        guard argument.hasPrefix("@") else { return Data(argument.utf8) }
        return try read(String(argument.dropFirst()))
    }
}
