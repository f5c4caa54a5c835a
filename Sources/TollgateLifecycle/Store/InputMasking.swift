public import TollgateJSON

/// Secret values taken out of a decision's input before it is stored: policies see the real
/// input, the log keeps `"***"` in its place and, under `"_masked"`, the paths that were masked.
///
/// A path is dot-separated keys over the input (`result.results.credentials.password`); `*`
/// stands for any key of an object or any element of a list (`result.results.*.token`).
public struct InputMasking: Sendable, Equatable {
    public let paths: [[Substring]]

    public init(paths: [String]) {
        self.paths = paths.map { $0.split(separator: ".") }
    }

    public var isEmpty: Bool { paths.isEmpty }

    /// `input` with every matching value replaced, and the list of what was replaced.
    public func mask(_ input: JSONValue) -> JSONValue {
        guard !paths.isEmpty else { return input }
        var masked: [String] = []
        var value = input
        for path in paths { value = Self.mask(value, path[...], at: [], into: &masked) }
        guard !masked.isEmpty, case .object(var object) = value else { return value }
        object["_masked"] = .array(masked.map(JSONValue.string))
        return .object(object)
    }

    static func mask(_ value: JSONValue, _ path: ArraySlice<Substring>, at place: [String], into masked: inout [String]) -> JSONValue {
        guard let key = path.first else {
            masked.append(place.joined(separator: "."))
            return "***"
        }
        let rest = path.dropFirst()
        switch value {
        case .object(var object):
            for name in object.keys where key == "*" || name == key {
                if let child = object[name] { object[name] = mask(child, rest, at: place + [name], into: &masked) }
            }
            return .object(object)
        case .array(var list) where key == "*" || Int(key) != nil:
            for index in list.indices where key == "*" || Int(key) == index {
                list[index] = mask(list[index], rest, at: place + [String(index)], into: &masked)
            }
            return .array(list)
        default:
            return value
        }
    }
}
