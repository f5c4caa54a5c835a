/// Node tags of the flat document layout shared with the C bridge.
enum PolicyDocumentNode {
    static let null: UInt32 = 0
    static let `false`: UInt32 = 1
    static let `true`: UInt32 = 2
    static let int: UInt32 = 3
    static let double: UInt32 = 4
    static let string: UInt32 = 5
    static let array: UInt32 = 6
    static let object: UInt32 = 7
    static let function: UInt32 = 8
}
