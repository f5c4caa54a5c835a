extension ServiceConfiguration {
    /// One notification receiver (`notifications:`), named by a stable key.
    ///
    /// Pending notifications are kept in the outbox with the name of their receiver, so the name
    /// must not depend on the receiver's place in the list: it is the configured `name`, else the
    /// kind and address (`odm-observer http://127.0.0.1:9100`; a webhook's query is left out, so no
    /// token in it is stored).
    public struct Notification: Sendable, Equatable {
        /// Where and how notifications are delivered.
        public enum Target: Sendable, Equatable {
            case odmObserver(address: String)
            case odmDispatch(address: String)
            case webhook(url: String, secret: String?)
        }

        public var target: Target
        /// The stable key pending notifications name their receiver by.
        public var name: String

        public init(_ target: Target, name: String? = nil) {
            self.target = target
            self.name = name ?? Self.defaultName(target)
        }

        public static func odmObserver(address: String, name: String? = nil) -> Notification { Notification(.odmObserver(address: address), name: name) }
        public static func odmDispatch(address: String, name: String? = nil) -> Notification { Notification(.odmDispatch(address: address), name: name) }
        public static func webhook(url: String, secret: String?, name: String? = nil) -> Notification {
            Notification(.webhook(url: url, secret: secret), name: name)
        }

        static func defaultName(_ target: Target) -> String {
            switch target {
            case .odmObserver(let address): "odm-observer \(address)"
            case .odmDispatch(let address): "odm-dispatch \(address)"
            case .webhook(let url, _): "webhook \(url.split(separator: "?", maxSplits: 1)[0])"
            }
        }

        /// The name releases before stable keys gave the receiver at `index` of the list; pending
        /// notifications written by them are still delivered.
        func legacyName(index: Int) -> String {
            switch target {
            case .odmObserver: "observer-\(index)"
            case .odmDispatch: "dispatch-\(index)"
            case .webhook: "webhook-\(index)"
            }
        }
    }
}
