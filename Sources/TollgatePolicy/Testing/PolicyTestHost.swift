import CTollgateLua
import Foundation
import TollgateJSON

/// Answers the test API's `evaluate`, `evaluate_phase` and `fixture` calls for one test file.
final class PolicyTestHost {
    let set: PolicySet
    let testFile: String

    init(set: PolicySet, testFile: String) {
        self.set = set
        self.testFile = testFile
    }

    enum HostError: Error, CustomStringConvertible {
        case message(String)
        var description: String {
            switch self { case .message(let m): m }
        }
    }

    func handle(operation: Int32, name: String, argument: JSONValue) -> Result<JSONValue, HostError> {
        switch Int(operation) {
        case Int(TG_HOST_EVALUATE): evaluatePolicy(name, argument)
        case Int(TG_HOST_EVALUATE_PHASE): evaluatePhase(name, argument)
        case Int(TG_HOST_FIXTURE): fixture(name)
        default: .failure(.message("unknown host operation \(operation)"))
        }
    }

    private func evaluatePolicy(_ name: String, _ argument: JSONValue) -> Result<JSONValue, HostError> {
        guard let file = set.file(named: name) else {
            let known = set.files.map(\.name).joined(separator: ", ")
            return .failure(.message("no policy named '\(name)' (known: \(known))"))
        }
        if let phaseName = argument["phase"]?.stringValue {
            guard let phase = PolicyPhase(rawValue: phaseName) else {
                return .failure(.message(PolicyEngineError.unknownPhase(phaseName).description))
            }
            if let policy = file.policy, !policy.phases.contains(phase) {
                return .failure(.message("policy '\(name)' does not run at \(phaseName)"))
            }
        }
        let input = PolicyDocument(argument["input"] ?? .object([:]))
        guard let result = set.evaluate(policy: name, input: input) else {
            return .failure(.message("policy '\(name)' could not be evaluated"))
        }
        return .success(result.jsonValue)
    }

    private func evaluatePhase(_ phaseName: String, _ argument: JSONValue) -> Result<JSONValue, HostError> {
        guard let phase = PolicyPhase(rawValue: phaseName) else {
            return .failure(.message(PolicyEngineError.unknownPhase(phaseName).description))
        }
        let decision = set.evaluate(phase, input: PolicyDocument(argument["input"] ?? .object([:])))
        var object = JSONObject()
        object["verdict"] = .string(decision.verdict.rawValue)
        object["results"] = .array(decision.results.map(\.jsonValue))
        var byPolicy = JSONObject()
        for result in decision.results { byPolicy[result.policy] = result.jsonValue }
        object["policies"] = .object(byPolicy)
        return .success(.object(object))
    }

    private func fixture(_ relative: String) -> Result<JSONValue, HostError> {
        let base = (testFile as NSString).deletingLastPathComponent
        let path = relative.hasPrefix("/") ? relative : (base.isEmpty ? relative : base + "/" + relative)
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(.message("fixture '\(relative)' not found (looked at \(path))"))
        }
        do {
            return .success(try JSONValue.parse(Array(data)))
        } catch {
            return .failure(.message("fixture \(path): \(error)"))
        }
    }
}
