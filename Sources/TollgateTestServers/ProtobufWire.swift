/// Reads the protobuf wire format (varints, length-delimited fields, fixed 32 and 64 bit), enough
/// to take apart a message whose field numbers are known from its `.proto`.
struct ProtobufWire {
    struct Malformed: Error {}

    private let bytes: [UInt8]
    private var index: Int

    init(_ bytes: some Collection<UInt8>) {
        self.bytes = Array(bytes)
        index = 0
    }

    /// Each field of the message in order: its number, and its value (a number or the bytes of
    /// a length-delimited field).
    mutating func fields(_ visit: (Int, Value) throws -> Void) throws {
        while index < bytes.count {
            let key = try varint()
            let number = Int(key >> 3)
            switch key & 7 {
            case 0: try visit(number, .number(try varint()))
            case 1: try visit(number, .number(try fixed(8)))
            case 2:
                let length = Int(try varint())
                guard length >= 0, index + length <= bytes.count else { throw Malformed() }
                try visit(number, .bytes(Array(bytes[index..<index + length])))
                index += length
            case 5: try visit(number, .number(try fixed(4)))
            default: throw Malformed()
            }
        }
    }

    enum Value {
        case number(UInt64)
        case bytes([UInt8])

        var integer: UInt64 {
            if case .number(let value) = self { return value }
            return 0
        }

        var data: [UInt8] {
            if case .bytes(let value) = self { return value }
            return []
        }

        var text: String { String(decoding: data, as: UTF8.self) }
        var hex: String { data.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }
    }

    private mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count, shift < 64 {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw Malformed()
    }

    private mutating func fixed(_ size: Int) throws -> UInt64 {
        guard index + size <= bytes.count else { throw Malformed() }
        var value: UInt64 = 0
        for offset in 0..<size { value |= UInt64(bytes[index + offset]) << (8 * UInt64(offset)) }
        index += size
        return value
    }
}
