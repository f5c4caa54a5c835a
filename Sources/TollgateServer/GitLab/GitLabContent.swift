import Crypto
import Foundation
import NIOCore
import Synchronization
import TollgateJSON

/// A file's new content for a GitLab write: bytes in memory, or a local file streamed from disk
/// (base64 encoded on the way, so that a file of any size is sent in bounded memory).
public enum GitLabContent: Sendable {
    case bytes([UInt8])
    case localFile(path: String)

    /// Bytes read from disk per piece (a multiple of 3, so that each piece encodes on its own).
    static let pieceBytes = 3 << 16

    /// The hex SHA-256 of the content, as GitLab reports it (`X-Gitlab-Content-Sha256`).
    public func sha256() throws -> String {
        var hash = SHA256()
        switch self {
        case .bytes(let bytes): hash.update(data: bytes)
        case .localFile(let path):
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            while let piece = try handle.read(upToCount: Self.pieceBytes), !piece.isEmpty { hash.update(data: piece) }
        }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// A JSON object of `fields` with the content added as `content` in base64.
    func jsonBody(_ fields: JSONObject) throws(GitLabFailure) -> OutboundBody {
        let head = JSONValue.object(fields).serialized()
        let prefix = String(head.dropLast()) + (fields.isEmpty ? "" : ",") + "\"content\":\""
        let suffix = "\"}"
        switch self {
        case .bytes(let bytes):
            return .text(prefix + Data(bytes).base64EncodedString() + suffix)
        case .localFile(let path):
            let size: Int
            do {
                size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
            } catch {
                throw GitLabFailure(retryable: false, status: nil, message: "cannot read \(path): \(error.localizedDescription)")
            }
            let encoded = (size + 2) / 3 * 4
            return .stream(length: prefix.utf8.count + encoded + suffix.utf8.count) {
                Base64FilePieces(path: path, prefix: prefix, suffix: suffix).stream()
            }
        }
    }
}

/// A local file as base64 between a prefix and a suffix, read piece by piece when asked (the
/// network's pace sets the reading's).
final class Base64FilePieces: Sendable {
    private enum Phase { case prefix, content(FileHandle), suffix, done }
    private let state: Mutex<Phase>
    private let path: String
    private let prefix: String
    private let suffix: String

    init(path: String, prefix: String, suffix: String) {
        self.path = path
        self.prefix = prefix
        self.suffix = suffix
        state = Mutex(.prefix)
    }

    func stream() -> AsyncThrowingStream<ByteBuffer, any Error> {
        AsyncThrowingStream(unfolding: { try self.next() })
    }

    private func next() throws -> ByteBuffer? {
        try state.withLock { phase throws -> ByteBuffer? in
            switch phase {
            case .prefix:
                phase = .content(try FileHandle(forReadingFrom: URL(fileURLWithPath: path)))
                return ByteBuffer(string: prefix)
            case .content(let handle):
                if let piece = try handle.read(upToCount: GitLabContent.pieceBytes), !piece.isEmpty {
                    return ByteBuffer(bytes: piece.base64EncodedData())
                }
                try? handle.close()
                phase = .suffix
                return ByteBuffer(string: suffix)
            case .suffix:
                phase = .done
                return nil
            case .done:
                return nil
            }
        }
    }
}
