import TollgateJSON

/// Reads typed values out of a configuration document, with errors that name the key.
struct ConfigReader {
    let value: JSONValue
    let path: String
    let environment: [String: String]

    func child(_ key: String) -> ConfigReader {
        ConfigReader(value: value[key] ?? .null, path: path.isEmpty ? key : "\(path).\(key)", environment: environment)
    }

    var isMissing: Bool { value.isNull }

    func error(_ message: String) -> ConfigurationError { ConfigurationError(key: path, message: message) }

    func string(default fallback: String? = nil) throws(ConfigurationError) -> String {
        if isMissing, let fallback { return fallback }
        guard let text = value.stringValue else { throw error(isMissing ? "missing" : "must be text, not \(value.typeName)") }
        return text
    }

    func optionalString() throws(ConfigurationError) -> String? { isMissing ? nil : try string() }

    func int(default fallback: Int) throws(ConfigurationError) -> Int {
        if isMissing { return fallback }
        guard let number = value.intValue else { throw error("must be a whole number, not \(value.typeName)") }
        return Int(number)
    }

    /// A positive number of seconds (whole or fractional).
    func seconds(default fallback: Double) throws(ConfigurationError) -> Double {
        if isMissing { return fallback }
        guard let number = value.doubleValue, number > 0 else { throw error("must be a positive number of seconds") }
        return number
    }

    func bool(default fallback: Bool) throws(ConfigurationError) -> Bool {
        if isMissing { return fallback }
        guard let flag = value.boolValue else { throw error("must be true or false") }
        return flag
    }

    /// A secret: literal text, or `{ env: NAME }` read from the environment.
    func secret() throws(ConfigurationError) -> String {
        if let name = value["env"]?.stringValue {
            guard let secret = environment[name], !secret.isEmpty else {
                throw error("environment variable \(name) is not set")
            }
            return secret
        }
        if let literal = value.stringValue { return literal }
        throw error("must be { env: NAME } (or text)")
    }

    func entries() throws(ConfigurationError) -> [(String, ConfigReader)] {
        if isMissing { return [] }
        guard let object = value.objectValue else { throw error("must be a mapping of names") }
        return object.keys.map { ($0, child($0)) }
    }

    func items() throws(ConfigurationError) -> [ConfigReader] {
        if isMissing { return [] }
        guard let list = value.arrayValue else { throw error("must be a list") }
        return list.indices.map { ConfigReader(value: list[$0], path: "\(path)[\($0)]", environment: environment) }
    }

    func strings() throws(ConfigurationError) -> [String] {
        var out: [String] = []
        for item in try items() { out.append(try item.string()) }
        return out
    }

    /// A list of role names.
    func roles() throws(ConfigurationError) -> [Role] {
        var roles: [Role] = []
        for (index, name) in try strings().enumerated() {
            guard let role = Role(rawValue: name) else {
                throw error("[\(index)] unknown role '\(name)' (\(Role.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            roles.append(role)
        }
        return roles
    }

    /// Refuses keys outside `known`, so a typo is not silently ignored.
    func onlyKeys(_ known: Set<String>) throws(ConfigurationError) {
        guard let object = value.objectValue else { return }
        if let unknown = object.keys.first(where: { !known.contains($0) }) {
            throw ConfigurationError(
                key: path.isEmpty ? unknown : "\(path).\(unknown)",
                message: "unknown key (known here: \(known.sorted().joined(separator: ", ")))")
        }
    }
}
