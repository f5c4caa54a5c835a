public import TollgateLifecycle

/// Descriptors handed over in memory, by product id and version.
public struct FixedDescriptorSource: DescriptorSource {
    public var descriptors: [String: DataProductDescriptor]

    public init(_ descriptors: [String: DataProductDescriptor] = [:]) { self.descriptors = descriptors }

    /// A source with one descriptor, under its fully qualified name and version.
    public init(_ descriptor: DataProductDescriptor, productId: String) {
        self.descriptors = ["\(productId)@\(descriptor.version)": descriptor]
    }

    public func descriptor(productId: String, version: String) async throws(DescriptorSourceError) -> DataProductDescriptor {
        guard let descriptor = descriptors["\(productId)@\(version)"] else {
            throw .notFound("no descriptor for \(productId) \(version)")
        }
        return descriptor
    }
}
