/// Where descriptors come from: a registry, a directory, a Git repository.
public protocol DescriptorSource: Sendable {
    /// The descriptor of `version` of data product `productId`.
    func descriptor(productId: String, version: String) async throws(DescriptorSourceError) -> DataProductDescriptor
}

/// Why a descriptor could not be had.
public enum DescriptorSourceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The source has no such product version.
    case notFound(String)
    /// The source could not be reached (try again later).
    case unreachable(String)
    /// The descriptor is there but unusable.
    case invalid(DescriptorError)

    public var description: String {
        switch self {
        case .notFound(let m): m
        case .unreachable(let m): m
        case .invalid(let e): "invalid descriptor: \(e)"
        }
    }
}
