public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TollgateJSON
public import TollgateLifecycle
import TollgateRuntime

/// Descriptors from an ODM registry:
/// `GET {address}/api/v1/pp/registry/products/{productId}/versions/{version}?format=normalized`.
///
/// A task template whose definition is given by reference (`"definition": {"$ref": …}`) is read, as
/// ODM does, from `GET {address}/api/v1/pp/registry/templates/{id}` (the template's `id`, else the
/// name-based id of its `fullyQualifiedName`), and put in the descriptor in the registry's own
/// wrapper, so the stored descriptor holds what the tasks ran.
public struct ODMRegistryClient: DescriptorSource {
    public let address: String
    let client: HTTPClient

    public init(address: String, client: HTTPClient) {
        self.address = address.hasSuffix("/") ? String(address.dropLast()) : address
        self.client = client
    }

    public func descriptor(productId: String, version: String) async throws(DescriptorSourceError) -> DataProductDescriptor {
        let url =
            "\(address)/api/v1/pp/registry/products/\(URLEncoding.segment(productId))/versions/\(URLEncoding.segment(version))"
            + "?format=normalized"
        let (status, body) = try await get(url)
        if status == 404 { throw .notFound("the registry has no version \(version) of data product \(productId)") }
        guard (200..<300).contains(status) else {
            throw .unreachable("the registry answered \(status) to GET \(url): \(body.prefix(300))")
        }
        var document: JSONValue
        do {
            document = try JSONValue.parse(body)
            // Some registries wrap the descriptor as a string field.
            if let inner = document["content"]?.stringValue { document = try JSONValue.parse(inner) }
        } catch {
            throw .invalid(DescriptorError(path: "", message: "the registry's answer is not JSON: \(error)"))
        }
        try await resolveTemplateReferences(&document)
        do {
            return try DataProductDescriptor(document: document)
        } catch {
            throw .invalid(error)
        }
    }

    /// Replaces every template definition given by `$ref` with the registry's template.
    func resolveTemplateReferences(_ document: inout JSONValue) async throws(DescriptorSourceError) {
        guard case .object(var root) = document, case .object(var internals)? = root["internalComponents"],
            case .object(var lifecycle)? = internals["lifecycleInfo"]
        else { return }
        var changed = false
        var fetched: [String: String] = [:]  // a template several tasks use is read once
        if case .array(var tasks)? = lifecycle["tasksInfo"] {
            for i in tasks.indices {
                if try await resolve(&tasks[i], path: "internalComponents.lifecycleInfo.tasksInfo[\(i + 1)]", fetched: &fetched) {
                    changed = true
                }
            }
            lifecycle["tasksInfo"] = .array(tasks)
        } else {
            for (stage, value) in lifecycle {
                guard case .array(var tasks) = value else { continue }
                var stageChanged = false
                for i in tasks.indices {
                    if try await resolve(&tasks[i], path: "internalComponents.lifecycleInfo.\(stage)[\(i + 1)]", fetched: &fetched) {
                        stageChanged = true
                    }
                }
                if stageChanged {
                    lifecycle[stage] = .array(tasks)
                    changed = true
                }
            }
        }
        guard changed else { return }
        internals["lifecycleInfo"] = .object(lifecycle)
        root["internalComponents"] = .object(internals)
        document = .object(root)
    }

    /// Resolves the template reference of one task entry; returns whether there was one. `fetched`
    /// holds the definitions read so far, by template id.
    private func resolve(
        _ task: inout JSONValue, path: String, fetched: inout [String: String]
    ) async throws(DescriptorSourceError) -> Bool {
        guard case .object(var entry) = task, case .object(var template)? = entry["template"],
            let definition = template["definition"], let reference = TemplateDefinition.unresolvedReference(definition)
        else { return false }
        let id: String
        if let given = template["id"]?.stringValue, !given.isEmpty {
            id = given
        } else if let name = template["fullyQualifiedName"]?.stringValue, !name.isEmpty {
            id = ODMProductId.make(fullyQualifiedName: name)
        } else {
            throw .invalid(
                DescriptorError(
                    path: path + ".template",
                    message: "its definition refers to '\(reference)' ($ref), but the template has neither id nor fullyQualifiedName "
                        + "to read it from the registry by"))
        }
        let text: String
        if let known = fetched[id] {
            text = known
        } else {
            text = try await registryDefinition(ofTemplate: id, reference: reference, path: path)
            fetched[id] = text
        }
        template["definition"] = ["$ref": .string(reference), "rawContent": .string(text), "inline": false, "resolvedRef": true]
        entry["template"] = .object(template)
        task = .object(entry)
        return true
    }

    /// The definition (JSON text) of the registry's template `id`.
    private func registryDefinition(ofTemplate id: String, reference: String, path: String) async throws(DescriptorSourceError) -> String {
        let url = "\(address)/api/v1/pp/registry/templates/\(URLEncoding.segment(id))"
        let (status, body) = try await get(url)
        if status == 404 {
            throw .invalid(
                DescriptorError(path: path + ".template.definition", message: "the registry has no template \(id) (referred to as '\(reference)')"))
        }
        guard (200..<300).contains(status) else {
            throw .unreachable("the registry answered \(status) to GET \(url): \(body.prefix(300))")
        }
        switch (try? JSONValue.parse(body))?["definition"] {
        case .string(let raw)?: return raw
        case let value? where value.objectValue != nil: return value.serialized()
        default:
            throw .invalid(
                DescriptorError(path: path + ".template.definition", message: "the registry's template \(id) has no definition"))
        }
    }

    private func get(_ url: String) async throws(DescriptorSourceError) -> (Int, String) {
        do {
            let answer = try await OutboundHTTP(client: client).send(.GET, url, what: "the registry at \(address)")
            return (answer.status, answer.body)
        } catch {
            throw .unreachable(error.description)
        }
    }
}
