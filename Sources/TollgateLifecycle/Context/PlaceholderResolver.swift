public import TollgateJSON

/// Resolves `${<stage>.results.<taskKey>.<path…>}` placeholders in a task's configurations from
/// the context.
///
/// - A string that is exactly one placeholder takes the referenced JSON value, type and all.
/// - A placeholder inside a longer string is replaced by the value's text (strings as they are,
///   other values as compact JSON).
/// - `$${` writes a literal `${`.
/// - The `context` member of the configurations is never touched.
///
/// A placeholder is a path into the context, so `${dev.finishedAt}` and `${dev.status}` work too.
public struct PlaceholderResolver: Sendable {
    /// What to do with a placeholder that names nothing.
    public enum Mode: String, Sendable {
        /// Fail the task before dispatch with an error naming the placeholder.
        case strict
        /// Leave the placeholder as written.
        case lenient
    }

    public var context: JSONValue
    public var mode: Mode

    public init(context: JSONValue, mode: Mode = .strict) {
        self.context = context
        self.mode = mode
    }

    /// Resolves every string of `configurations`.
    public func resolve(_ configurations: JSONValue) throws(PlaceholderError) -> JSONValue {
        guard case .object(let object) = configurations else { return try resolve(configurations, at: "") }
        var out = JSONObject()
        for (key, value) in object {
            out[key] = key == "context" ? value : try resolve(value, at: key)
        }
        return .object(out)
    }

    private func resolve(_ value: JSONValue, at location: String) throws(PlaceholderError) -> JSONValue {
        switch value {
        case .string(let text):
            return try resolveString(text, at: location)
        case .array(let items):
            var out: [JSONValue] = []
            out.reserveCapacity(items.count)
            for (i, item) in items.enumerated() { out.append(try resolve(item, at: "\(location)[\(i)]")) }
            return .array(out)
        case .object(let object):
            var out = JSONObject()
            for (key, member) in object {
                out[key] = try resolve(member, at: location.isEmpty ? key : "\(location).\(key)")
            }
            return .object(out)
        default:
            return value
        }
    }

    private func resolveString(_ text: String, at location: String) throws(PlaceholderError) -> JSONValue {
        guard text.contains("${") else { return .string(text) }
        let pieces = try PlaceholderScanner.scan(text, location: location)
        if pieces.count == 1, case .placeholder(let path, let written) = pieces[0] {
            guard let value = lookup(path) else {
                if mode == .lenient { return .string(written) }
                throw PlaceholderError(placeholder: written, location: location, reason: missingReason(path))
            }
            return value
        }
        var out = ""
        for piece in pieces {
            switch piece {
            case .text(let literal):
                out += literal
            case .placeholder(let path, let written):
                guard let value = lookup(path) else {
                    if mode == .lenient {
                        out += written
                        continue
                    }
                    throw PlaceholderError(placeholder: written, location: location, reason: missingReason(path))
                }
                out += value.stringValue ?? value.serialized()
            }
        }
        return .string(out)
    }

    private func lookup(_ path: [String]) -> JSONValue? {
        var current = context
        for component in path {
            switch current {
            case .object(let object):
                guard let next = object[component] else { return nil }
                current = next
            case .array(let items):
                guard let index = Int(component), items.indices.contains(index) else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    /// Says which part of the path is missing, so a person knows what to fix.
    private func missingReason(_ path: [String]) -> String {
        var current = context
        for (depth, component) in path.enumerated() {
            let prefix = path[..<depth].joined(separator: ".")
            switch current {
            case .object(let object):
                guard let next = object[component] else {
                    if depth == 0 {
                        let known = object.keys.joined(separator: ", ")
                        return "stage '\(component)' is not in the context (it holds: \(known.isEmpty ? "nothing yet" : known))"
                    }
                    if path.count > 1, path[1] == "results", depth == 2 {
                        return "task '\(component)' of stage '\(path[0])' has no results yet"
                    }
                    return "'\(prefix)' has no field '\(component)'"
                }
                current = next
            case .null:
                return "'\(prefix)' is null"
            case .array:
                guard let next = lookup(Array(path[...depth])) else {
                    return "'\(prefix)' has no element \(component)"
                }
                current = next
            default:
                return "'\(prefix)' is a \(current.typeName), not an object"
            }
        }
        return "not found"
    }
}

/// Splits a string into literal text and placeholders.
enum PlaceholderScanner {
    enum Piece: Equatable {
        case text(String)
        case placeholder(path: [String], written: String)
    }

    static func scan(_ text: String, location: String) throws(PlaceholderError) -> [Piece] {
        var pieces: [Piece] = []
        var literal = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            literal += rest[..<dollar]
            let after = rest[dollar...]
            if after.hasPrefix("$${") {
                literal += "${"
                rest = after.dropFirst(3)
            } else if after.hasPrefix("${") {
                guard let close = after.firstIndex(of: "}") else {
                    throw PlaceholderError(
                        placeholder: String(after), location: location, reason: "it is not closed with '}'")
                }
                let written = String(after[...close])
                let inner = after[after.index(after.startIndex, offsetBy: 2)..<close]
                let path = inner.split(separator: ".", omittingEmptySubsequences: false).map {
                    String($0).trimmingSpaces
                }
                if path.isEmpty || path.contains(where: \.isEmpty) {
                    throw PlaceholderError(
                        placeholder: written, location: location,
                        reason: "write it as ${stage.results.taskKey.field}")
                }
                if !literal.isEmpty {
                    pieces.append(.text(literal))
                    literal = ""
                }
                pieces.append(.placeholder(path: path, written: written))
                rest = after[after.index(after: close)...]
            } else {
                literal += "$"
                rest = after.dropFirst()
            }
        }
        literal += rest
        if !literal.isEmpty || pieces.isEmpty { pieces.append(.text(literal)) }
        return pieces
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
