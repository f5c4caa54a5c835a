public import Hummingbird
public import TollgateLifecycle

/// The request context of Tollgate's routes: Hummingbird's, plus who is calling.
public struct TollgateRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated caller; nil when the server runs without authentication or the route
    /// needs none (callbacks, health).
    public var caller: Principal?

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}
