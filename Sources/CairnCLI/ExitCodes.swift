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

    /// Prints `error` as one line on stderr (and, with `--json`, as an error document on stdout) and returns
    /// the exit to throw.
    static func fail(_ error: any Error, json: Bool = false) -> ExitCode {
        if let validation = error as? ValidationError { return fail(message: validation.message, code: usage, json: json) }
        return fail(message: String(describing: error), code: code(for: error), errorCode: (error as? CairnError)?.code.description,
                    json: json)
    }

    /// `message` as a sentence: its first word capitalized when it is a plain lowercase word — never when it is a
    /// path, a run id, a program or an option (`journal.dump exists already`, `pg_dump could not…`), which mean
    /// what they say letter for letter.
    static func sentence(_ message: String) -> String {
        let first = message.prefix { $0 != " " }
        guard !first.isEmpty, first.allSatisfy({ $0.isLowercase && $0.isLetter || $0 == "'" }) else { return message }
        return message.prefix(1).uppercased() + message.dropFirst()
    }

    static func fail(message: String, code: Int32, errorCode: String? = nil, json: Bool = false) -> ExitCode {
        // One line, whatever the message carries from workflow data (a step's error, an SKU).
        FileHandle.standardError.write(Data("cairn: \(sentence(TerminalText.safe(message)))\n".utf8))
        if json { Output(json: true).json(ErrorDocument(error: .init(code: errorCode ?? (code == usage ? "usage" : "failed"), message: message, exitCode: code))) }
        return ExitCode(code)
    }
}

/// What `--json` prints on stdout when a command is refused or fails, beside the sentence on stderr.
struct ErrorDocument: Encodable {
    struct Body: Encodable {
        /// The error code (`invalid-input`, `run-not-found`, …), or `usage` for a command line that does not parse.
        let code: String
        let message: String
        let exitCode: Int32
    }

    let error: Body
}
