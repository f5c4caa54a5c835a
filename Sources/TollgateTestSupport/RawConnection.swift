import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain TCP connection to a loopback port, for tests that speak HTTP by hand: half-open
/// connections, requests that stop halfway, more connections than a server allows.
public final class RawConnection {
    private let fd: Int32

    /// Connects to `127.0.0.1:port`.
    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawConnectionError("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw RawConnectionError("connect() to port \(port) failed: errno \(errno)")
        }
    }

    deinit { close(fd) }

    /// Sends `text` as it is.
    public func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw RawConnectionError("send() failed: errno \(errno)") }
    }

    /// What the server sends until it closes the connection or `seconds` pass; `closed` tells which.
    public func receive(seconds: Double) -> (text: String, closed: Bool) {
        receive(seconds: seconds) { _ in false }
    }

    /// One HTTP response (its head and the `Content-Length` bytes after it), or what came before the
    /// server closed the connection or `seconds` passed; `closed` tells whether it closed.
    public func receiveResponse(seconds: Double) -> (text: String, closed: Bool) {
        var answer = receive(seconds: seconds) { text in
            guard let end = text.range(of: "\r\n\r\n") else { return false }
            let head = text[..<end.lowerBound].lowercased()
            let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            return text.utf8.count - text[..<end.upperBound].utf8.count >= length
        }
        if !answer.closed, answer.text.lowercased().contains("connection: close") {
            answer.closed = receive(seconds: seconds).closed
        }
        return answer
    }

    private func receive(seconds: Double, complete: (String) -> Bool) -> (text: String, closed: Bool) {
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += buffer[0..<count]
                if complete(String(decoding: received, as: UTF8.self)) { return (String(decoding: received, as: UTF8.self), false) }
                continue
            }
            return (String(decoding: received, as: UTF8.self), count == 0)
        }
    }
}

/// A raw connection that could not be made or used.
public struct RawConnectionError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
