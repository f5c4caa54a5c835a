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
    /// The folder the files are named in ("" when they were given by full path).
    private let folder: String
    /// The descriptor files, named within `folder`.
    private let files: [String]
    /// Which file each `name@version` key is in, by the key's hash: an index of thousands of
    /// descriptors holds no key text. Keys whose hashes collide are kept whole in `collided`.
    private let fileByHash: [Int: Int32]
    private let collided: [String: Int32]
    /// Files that could not be read, with why.
    public let problems: [String]

    /// Reads every descriptor file of `directory`.
    public init(directory: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        self.init(folder: directory + "/", names: names.filter(Self.isDescriptorFile).sorted())
    }

    /// Reads the given descriptor files.
    public init(files: [String]) {
        self.init(folder: "", names: files)
    }

    private init(folder: String, names: [String]) {
        var fileByKey: [String: Int32] = [:]
        var indexed: [String] = []
        var problems: [String] = []
        for name in names {
            do {
                let descriptor = try Self.read(folder + name)
                for key in Self.keys(descriptor) { fileByKey[key] = Int32(indexed.count) }
                indexed.append(name)
            } catch {
                problems.append(error.description)
            }
        }
        var fileByHash: [Int: Int32] = [:]
        var keyByHash: [Int: String] = [:]
        var collided: [String: Int32] = [:]
        for (key, file) in fileByKey {
            let hash = key.hashValue
            if let other = keyByHash[hash] {
                collided[key] = file
                collided[other] = fileByKey[other]
            } else {
                keyByHash[hash] = key
                fileByHash[hash] = file
            }
        }
        self.folder = folder
        self.files = indexed
        self.fileByHash = fileByHash
        self.collided = collided
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
        files.compactMap { try? Self.read(folder + $0) }.sorted { $0.fullyQualifiedName < $1.fullyQualifiedName }
    }

    public func descriptor(productId: String, version: String) async throws(DescriptorSourceError) -> DataProductDescriptor {
        let key = "\(productId)@\(version)"
        guard let index = collided[key] ?? fileByHash[key.hashValue] else {
            throw .notFound("no descriptor for data product '\(productId)' version \(version)")
        }
        let file = folder + files[Int(index)]
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
