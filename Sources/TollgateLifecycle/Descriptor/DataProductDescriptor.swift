public import TollgateJSON

/// An ODM data product descriptor: the parts Tollgate reads, and the whole document as given.
public struct DataProductDescriptor: Sendable, Equatable {
    /// `info.fullyQualifiedName`.
    public var fullyQualifiedName: String
    /// `info.name`, if given.
    public var name: String?
    /// `info.version`.
    public var version: String
    /// `info.owner.id`, if given.
    public var owner: String?
    /// The stages and tasks of `internalComponents.lifecycleInfo`.
    public var lifecycle: LifecycleDescriptor
    /// The descriptor document as received (key order kept).
    public var document: JSONValue

    public init(
        fullyQualifiedName: String, name: String?, version: String, owner: String?, lifecycle: LifecycleDescriptor,
        document: JSONValue
    ) {
        self.fullyQualifiedName = fullyQualifiedName
        self.name = name
        self.version = version
        self.owner = owner
        self.lifecycle = lifecycle
        self.document = document
    }

    /// Reads a descriptor document; `lifecycleInfo` may be the canonical stage map or the registry's
    /// normalized `tasksInfo` list.
    public init(document: JSONValue) throws(DescriptorError) {
        guard let info = document["info"]?.objectValue else {
            throw DescriptorError(path: "info", message: "the descriptor has no info object")
        }
        guard let fqn = info["fullyQualifiedName"]?.stringValue, !fqn.isEmpty else {
            throw DescriptorError(path: "info.fullyQualifiedName", message: "missing: every data product needs a fully qualified name")
        }
        guard let version = info["version"]?.stringValue, !version.isEmpty else {
            throw DescriptorError(path: "info.version", message: "missing: the descriptor must name its version")
        }
        let lifecycleInfo = document["internalComponents"]?["lifecycleInfo"]
        self.init(
            fullyQualifiedName: fqn, name: info["name"]?.stringValue, version: version,
            owner: info["owner"]?["id"]?.stringValue,
            lifecycle: try LifecycleInfoParser.parse(lifecycleInfo, path: "internalComponents.lifecycleInfo"),
            document: document)
    }
}
