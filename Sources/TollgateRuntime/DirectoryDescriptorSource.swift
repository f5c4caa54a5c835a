import Crypto
import Foundation
import TollgateJSON
public import TollgateLifecycle

/// Descriptors read from files (`*.json`, `*.yaml`, `*.yml`) in a directory or given one by one.
///
/// A descriptor is found by its fully qualified name, its `info.name`, or its ODM product id
/// (the name-based UUID of the fully qualified name, as ODM derives it), and its version.
public struct DirectoryDescriptorSource: DescriptorSource {
    private let byKey: [String: DataProductDescriptor]
    /// Files that could not be read, with why.
    public let problems: [String]

    /// Reads every descriptor file of `directory`.
    public init(directory: String) {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        self.init(files: files.filter(Self.isDescriptorFile).sorted().map { directory + "/" + $0 })
    }

    /// Reads the given descriptor files.
    public init(files: [String]) {
        var byKey: [String: DataProductDescriptor] = [:]
        var problems: [String] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                problems.append("\(file): cannot read the file")
                continue
            }
            do {
                let document =
                    file.hasSuffix(".json")
                    ? try JSONValue.parse(Array(data)) : try YAMLDocument.parse(String(decoding: data, as: UTF8.self))
                let descriptor = try DataProductDescriptor(document: document)
                for key in Self.keys(descriptor) { byKey[key] = descriptor }
            } catch {
                problems.append("\(file): \(error)")
            }
        }
        self.byKey = byKey
        self.problems = problems
    }

    static func isDescriptorFile(_ name: String) -> Bool {
        name.hasSuffix(".json") || name.hasSuffix(".yaml") || name.hasSuffix(".yml")
    }

    static func keys(_ d: DataProductDescriptor) -> [String] {
        var ids = [d.fullyQualifiedName, ODMProductId.make(fullyQualifiedName: d.fullyQualifiedName)]
        if let name = d.name { ids.append(name) }
        return ids.map { "\($0)@\(d.version)" }
    }

    /// Every descriptor, once each.
    public var descriptors: [DataProductDescriptor] {
        var seen: Set<String> = []
        return byKey.values.filter { seen.insert("\($0.fullyQualifiedName)@\($0.version)").inserted }
            .sorted { $0.fullyQualifiedName < $1.fullyQualifiedName }
    }

    public func descriptor(productId: String, version: String) async throws(DescriptorSourceError) -> DataProductDescriptor {
        guard let descriptor = byKey["\(productId)@\(version)"] else {
            throw .notFound("no descriptor for data product '\(productId)' version \(version)")
        }
        return descriptor
    }
}

/// ODM's data product id: a name-based (version 3, MD5) UUID of the fully qualified name, as Java's
/// `UUID.nameUUIDFromBytes` makes it.
public enum ODMProductId {
    public static func make(fullyQualifiedName: String) -> String {
        var bytes = Array(Insecure.MD5.hash(data: Array(fullyQualifiedName.utf8)))
        bytes[6] = (bytes[6] & 0x0F) | 0x30
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }
}
