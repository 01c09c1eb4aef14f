import ArgumentParser
import Cairn
import Foundation

/// The exit codes of the CLI contract, and the one-sentence error printing that goes with them.
enum Exit {
    static let runFailed: Int32 = 1
    static let usage: Int32 = 64
    static let badInput: Int32 = 65
    static let notFound: Int32 = 66
    static let owned: Int32 = 3
    static let journalTooNew: Int32 = 4
    static let interrupted: Int32 = 130

    /// The exit code for an error.
    static func code(for error: any Error) -> Int32 {
        guard let error = error as? CairnError else { return runFailed }
        return code(for: error.code)
    }

    /// The exit code for an error code.
    static func code(for code: CairnError.Code) -> Int32 {
        switch code {
        case .runNotFound, .fileNotFound: return notFound
        case .runOwned: return owned
        case .journalTooNew: return journalTooNew
        case .invalidInput: return badInput
        case .unknownWorkflow: return usage
        default: return runFailed
        }
    }

    /// Prints `error` as one line on stderr and returns the exit to throw.
    static func fail(_ error: any Error) -> ExitCode {
        if let validation = error as? ValidationError { return fail(message: validation.message, code: usage) }
        return fail(message: String(describing: error), code: code(for: error))
    }

    static func fail(message: String, code: Int32) -> ExitCode {
        // One line, whatever the message carries from workflow data (a step's error, an SKU).
        let safe = TerminalText.safe(message)
        let sentence = safe.prefix(1).uppercased() + safe.dropFirst()
        FileHandle.standardError.write(Data("cairn: \(sentence)\n".utf8))
        return ExitCode(code)
    }
}
