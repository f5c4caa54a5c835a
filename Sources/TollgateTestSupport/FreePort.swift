#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A TCP port on 127.0.0.1 that nothing listens on right now.
///
/// Ports are handed out in turn from below the kernel's ephemeral range (32768 and up on Linux), so
/// two servers of one test run never get the same port, and no outgoing connection's own port
/// (taken from the ephemeral range) can be given to a server. Each is checked by binding it.
public enum FreePort {
    private static let first = 20_000
    private static let count = 12_000
    /// The next candidate, from a random start so concurrent test runs seldom meet.
    private static let cursor = Atomic<Int>(Int.random(in: 0..<count))

    public static func next() -> Int {
        for _ in 0..<count {
            let port = first + cursor.wrappingAdd(1, ordering: .relaxed).oldValue % count
            if isFree(port) { return port }
        }
        return 0
    }

    private static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } } == 0
    }
}
