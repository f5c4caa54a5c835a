import CTollgateLua
import Foundation
import TollgateJSON

extension PolicySet {
    /// A policy source to load: its display path and its text.
    public struct Source: Sendable {
        public var path: String
        public var text: String

        public init(path: String, text: String) {
            self.path = path
            self.text = text
        }
    }

    /// Loads every policy of `directory`: `*.lua` files at any depth, except tests (`*_test.lua`)
    /// and anything under `fixtures/` or `types/` or a hidden folder.
    ///
    /// Broken files do not stop the rest from loading; they are listed in ``problems`` and fail
    /// closed at evaluation.
    public static func load(
        directory: String, limits: PolicyLimits = PolicyLimits(), poolSize: Int? = nil
    ) throws(PolicyEngineError) -> PolicySet {
        let paths = try PolicyDirectory.policyFiles(in: directory)
        var sources: [Source] = []
        var unreadable: [PolicyProblem] = []
        for path in paths {
            if let data = FileManager.default.contents(atPath: path) {
                sources.append(Source(path: path, text: String(decoding: data, as: UTF8.self)))
            } else {
                unreadable.append(PolicyProblem(kind: .unreadable, file: path, line: 1, message: "cannot read the file"))
            }
        }
        return try load(sources: sources, directory: directory, limits: limits, poolSize: poolSize, unreadable: unreadable)
    }

    /// Loads policies from sources in memory.
    public static func load(
        sources: [Source], directory: String? = nil, limits: PolicyLimits = PolicyLimits(), poolSize: Int? = nil
    ) throws(PolicyEngineError) -> PolicySet {
        try load(sources: sources, directory: directory, limits: limits, poolSize: poolSize, unreadable: [])
    }

    private static func load(
        sources: [Source], directory: String?, limits: PolicyLimits, poolSize: Int?, unreadable: [PolicyProblem]
    ) throws(PolicyEngineError) -> PolicySet {
        let worker = try PolicyWorker(limits: limits)
        var files: [PolicyFile] = []
        var owners: [String: String] = [:]  // policy name -> file
        for (index, source) in sources.enumerated() {
            let slot = Int32(index + 1)
            let revision = Digest.sha256Hex(Array(source.text.utf8))
            let status: PolicyFile.Status
            var warnings: [PolicyProblem] = []
            switch worker.load(slot: slot, chunkName: source.path, source: source.text) {
            case .failed(let code, let message):
                let (line, text) = SourceLines.split(luaMessage: message, file: source.path)
                let kind: PolicyProblem.Kind = message.contains("<eof>") || code == Int32(TG_RUN_ERROR) && isSyntaxError(text)
                    ? .syntax : .runtime
                status = .broken(PolicyProblem(kind: kind, file: source.path, line: line, message: text), declared: nil)
            case .declared(let table):
                warnings = PolicyDeclaration.unknownFields(table, file: source.path, source: source.text)
                switch PolicyDeclaration.parse(table, file: source.path, source: source.text) {
                case .failure(let problem):
                    status = .broken(problem, declared: PolicyDeclaration.partial(table))
                case .success(let policy):
                    if let owner = owners[policy.name] {
                        let problem = PolicyProblem(
                            kind: .duplicateName, file: source.path,
                            line: SourceLines.line(ofField: "name", in: source.text),
                            message: "policy name '\(policy.name)' is already declared by \(owner); names must be unique")
                        status = .broken(problem, declared: policy)
                    } else {
                        owners[policy.name] = source.path
                        status = .loaded(policy)
                    }
                }
            }
            files.append(
                PolicyFile(
                    path: source.path, source: source.text, revision: revision, status: status, slot: slot,
                    warnings: warnings))
        }
        for problem in unreadable {
            files.append(
                PolicyFile(
                    path: problem.file, source: "", revision: Digest.sha256Hex(""), status: .broken(problem, declared: nil),
                    slot: 0))
        }
        return PolicySet(
            directory: directory, files: files, limits: limits, firstWorker: worker,
            poolSize: poolSize ?? ProcessInfo.processInfo.activeProcessorCount)
    }

    private static func isSyntaxError(_ text: String) -> Bool {
        ["expected", "unexpected symbol", "near", "unfinished", "malformed", "syntax error"].contains { text.contains($0) }
    }
}

/// Finds policy and test files in a directory tree.
public enum PolicyDirectory {
    /// Policy files of `directory`, sorted.
    public static func policyFiles(in directory: String) throws(PolicyEngineError) -> [String] {
        try luaFiles(in: directory).filter { !$0.hasSuffix("_test.lua") }
    }

    /// Test files (`*_test.lua`) of `directory`, sorted.
    public static func testFiles(in directory: String) throws(PolicyEngineError) -> [String] {
        try luaFiles(in: directory).filter { $0.hasSuffix("_test.lua") }
    }

    private static func luaFiles(in directory: String) throws(PolicyEngineError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .directory("policy directory '\(directory)' does not exist (pass --policies DIR or create it)")
        }
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else {
            throw .directory("cannot list policy directory '\(directory)'")
        }
        var found: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let components = relative.split(separator: "/")
            if components.dropLast().contains(where: { $0 == "fixtures" || $0 == "types" || $0.hasPrefix(".") }) {
                continue
            }
            guard relative.hasSuffix(".lua"), !(components.last?.hasPrefix(".") ?? true) else { continue }
            let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
            found.append(base + "/" + relative)
        }
        return found.sorted()
    }
}
