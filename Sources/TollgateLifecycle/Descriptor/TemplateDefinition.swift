public import TollgateJSON

/// A task template's `definition` in the forms descriptors and registries write it:
///
/// - the definition itself: `"definition": {"pipelineId": "2", ...}`;
/// - the ODM registry's normalized wrapper: `"definition": {"rawContent": "<the definition as JSON
///   text>", "inline": true, "resolvedRef": false}`;
/// - a reference, `"definition": {"$ref": "..."}`, which the descriptor source resolves into the
///   wrapper before the descriptor is read (see ``unresolvedReference(_:)``).
///
/// Tasks keep the template with its definition unwrapped, so every executor receives the
/// definition itself.
public enum TemplateDefinition {
    /// The wrapper's own keys; an object with `rawContent` and other keys is a definition, not a wrapper.
    static let wrapperKeys: Set<String> = ["rawContent", "inline", "resolvedRef", "$ref", "mediaType", "originalRef"]

    /// `template` with its `definition` unwrapped. `path` names the template in errors.
    static func unwrapped(_ template: JSONValue, path: String) throws(DescriptorError) -> JSONValue {
        guard case .object(var object) = template, let definition = object["definition"] else { return template }
        if let reference = unresolvedReference(definition) {
            throw DescriptorError(
                path: path + ".definition",
                message: "refers to the template '\(reference)' ($ref) that was not resolved; write the definition inline, "
                    + "or read the descriptor from an ODM registry, which resolves template references")
        }
        guard let raw = wrappedText(definition) else { return template }
        do {
            object["definition"] = try JSONValue.parse(raw)
        } catch {
            throw DescriptorError(path: path + ".definition.rawContent", message: "is not JSON text: \(error)")
        }
        return .object(object)
    }

    /// The reference of a definition given by `$ref` and not resolved yet, if it is one.
    public static func unresolvedReference(_ definition: JSONValue) -> String? {
        guard let object = definition.objectValue, let reference = object["$ref"]?.stringValue,
            object["rawContent"]?.stringValue == nil, object["resolvedRef"]?.boolValue != true
        else { return nil }
        return reference
    }

    /// The definition's JSON text when `definition` is the registry's wrapper.
    static func wrappedText(_ definition: JSONValue) -> String? {
        guard let object = definition.objectValue, let raw = object["rawContent"]?.stringValue,
            object.keys.allSatisfy(wrapperKeys.contains)
        else { return nil }
        return raw
    }
}
