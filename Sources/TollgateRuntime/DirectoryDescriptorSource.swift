import Crypto
import Foundation
import TollgateJSON
public import TollgateLifecycle

/// Descriptors read from files (`*.json`, `*.yaml`, `*.yml`) in a directory or given one by one.
///
/// A descriptor is found by its fully qualified name, its `info.name`, or its ODM product id
/// (the name-based UUID of the fully qualified name, as ODM derives it), and its version.
/// Every file is read once at start to index it (and report the unreadable ones); a descriptor is
/// read again from its file when an activity asks for it, so thousands of descriptors cost an
/// index entry each, not a parsed document each.
public struct DirectoryDescriptorSource: DescriptorSource {
    /// The file of each product version, under each name it is found by.
    private let fileByKey: [String: String]
    private let files: [String]
    /// Files that could not be read, with why.
    public let problems: [String]

    /// Reads every descriptor file of `directory`.
    public init(directory: String) {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        self.init(files: files.filter(Self.isDescriptorFile).sorted().map { directory + "/" + $0 })
    }

    /// Reads the given descriptor files.
    public init(files: [String]) {
        var fileByKey: [String: String] = [:]
        var indexed: [String] = []
        var problems: [String] = []
        for file in files {
            do {
                let descriptor = try Self.read(file)
                for key in Self.keys(descriptor) { fileByKey[key] = file }
                indexed.append(file)
            } catch {
                problems.append(error.description)
            }
        }
        self.fileByKey = fileByKey
        self.files = indexed
        self.problems = problems
    }

    /// Reads a descriptor document: JSON, or YAML for other names.
    public static func parse(_ bytes: [UInt8], name: String) throws -> DataProductDescriptor {
        let document = name.hasSuffix(".json") ? try JSONValue.parse(bytes) : try YAMLDocument.parse(String(decoding: bytes, as: UTF8.self))
        return try DataProductDescriptor(document: document)
    }

    static func read(_ file: String) throws(DescriptorFileError) -> DataProductDescriptor {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw DescriptorFileError(description: "\(file): cannot read the file")
        }
        do {
            return try parse(Array(data), name: file)
        } catch {
            throw DescriptorFileError(description: "\(file): \(error)")
        }
    }

    static func isDescriptorFile(_ name: String) -> Bool {
        name.hasSuffix(".json") || name.hasSuffix(".yaml") || name.hasSuffix(".yml")
    }

    /// The names a descriptor is found by (fully qualified name, ODM product id, `info.name`), each
    /// with its version: `name@version`.
    public static func keys(_ d: DataProductDescriptor) -> [String] {
        var ids = [d.fullyQualifiedName, ODMProductId.make(fullyQualifiedName: d.fullyQualifiedName)]
        if let name = d.name { ids.append(name) }
        return ids.map { "\($0)@\(d.version)" }
    }

    /// Every descriptor, once each, read from its file.
    public var descriptors: [DataProductDescriptor] {
        files.compactMap { try? Self.read($0) }.sorted { $0.fullyQualifiedName < $1.fullyQualifiedName }
    }

    public func descriptor(productId: String, version: String) async throws(DescriptorSourceError) -> DataProductDescriptor {
        let key = "\(productId)@\(version)"
        guard let file = fileByKey[key] else {
            throw .notFound("no descriptor for data product '\(productId)' version \(version)")
        }
        let descriptor: DataProductDescriptor
        do {
            descriptor = try Self.read(file)
        } catch {
            throw .notFound("the descriptor of data product '\(productId)' version \(version) is no longer readable: \(error)")
        }
        guard Self.keys(descriptor).contains(key) else {
            throw .notFound("\(file) no longer describes data product '\(productId)' version \(version) (it was edited after the start)")
        }
        return descriptor
    }
}

/// A descriptor file that cannot be used, with the file named.
struct DescriptorFileError: Error, CustomStringConvertible {
    let description: String
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
