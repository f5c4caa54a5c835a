import NIOCore

/// The bytes of an answer received piece by piece, bounded: either all of them up to a limit
/// (more is an error), or the last `limit` of them however many arrive (a log's end), with the
/// count of bytes dropped before.
final class ReceivedBytes {
    /// An answer went past the limit of what is kept whole.
    struct TooLarge: Error, CustomStringConvertible {
        var limit: Int
        var description: String { "the answer is larger than \(limit >> 20) MiB, more than Tollgate holds in memory" }
    }

    private(set) var bytes: [UInt8] = []
    private(set) var dropped = 0
    let limit: Int
    let keepsTheEnd: Bool

    /// Keeps every byte, up to `limit`.
    init(upTo limit: Int) {
        self.limit = limit
        keepsTheEnd = false
    }

    /// Keeps the last `limit` bytes.
    init(keepingTheLast limit: Int) {
        self.limit = max(0, limit)
        keepsTheEnd = true
    }

    func append(_ piece: ByteBuffer) throws(TooLarge) {
        guard keepsTheEnd || bytes.count + piece.readableBytes <= limit else { throw TooLarge(limit: limit) }
        bytes += piece.readableBytesView
        // Trim in batches, so that many small pieces cost linear time.
        if keepsTheEnd, bytes.count > 2 * limit + 65_536 { trim() }
    }

    /// Drops all but the last `limit` bytes (when keeping the end).
    func trim() {
        guard keepsTheEnd, bytes.count > limit else { return }
        let excess = bytes.count - limit
        bytes.removeFirst(excess)
        dropped += excess
    }
}
