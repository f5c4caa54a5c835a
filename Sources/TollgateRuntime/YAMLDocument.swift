public import TollgateJSON
import Yams

/// Reads YAML into JSON values, keeping mapping order (stage order lives in it).
public enum YAMLText {
    /// Parses YAML text into a JSON value.
    public static func parse(_ text: String) throws -> JSONValue { try YAMLDocument.parse(text) }
}

/// Reads YAML into JSON values, keeping mapping order (stage order lives in it).
enum YAMLDocument {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ text: String) throws -> JSONValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw Failure(description: "not valid YAML: \(error)")
        }
        guard let node else { return .null }
        return try convert(node)
    }

    private static func convert(_ node: Node) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue:
                return .null
            case Tag.Name.bool.rawValue:
                return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
            case Tag.Name.int.rawValue:
                if let value = Int64(scalar.string) { return .int(value) }
                return node.int.map { .int(Int64($0)) } ?? .string(scalar.string)
            case Tag.Name.float.rawValue:
                if let value = node.float, value.isFinite { return .double(value) }
                return .string(scalar.string)
            default:
                return .string(scalar.string)
            }
        case .sequence(let sequence):
            return .array(try sequence.map(convert))
        case .mapping(let mapping):
            var object = JSONObject()
            for (key, value) in mapping {
                guard let name = key.string else {
                    throw Failure(description: "mapping keys must be text (line \((key.mark?.line).map(String.init) ?? "?"))")
                }
                object[name] = try convert(value)
            }
            return .object(object)
        case .alias:
            throw Failure(description: "YAML aliases (*name) are not supported in descriptors; write the value out")
        }
    }
}
