import Foundation
public import TollgateLifecycle

/// A GitLab job trace made readable: ANSI escape sequences and `section_start`/`section_end`
/// markers removed, carriage-return overwrites resolved to what the terminal showed, empty lines
/// dropped, the bytes decoded as UTF-8 (invalid sequences become U+FFFD), and the end kept when
/// the log is longer than the cap (the end is where a job says why it failed).
public enum GitLabJobLog {
    /// The readable log of one job; `limit` caps the bytes kept (the end is kept). `raw` may be
    /// the end of a longer log, of which `droppedBefore` bytes were not kept.
    public static func clean(_ raw: [UInt8], droppedBefore: Int = 0, name: String, status: String?, limit: Int) -> TaskLog {
        var omitted = droppedBefore
        var bytes = raw[...]
        if bytes.count > limit || droppedBefore > 0 {
            let excess = max(0, bytes.count - limit)
            omitted += excess
            bytes = bytes.dropFirst(excess)
            // Start at a line boundary, not inside a character or an escape sequence.
            if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) {
                omitted += newline - bytes.startIndex + 1
                bytes = bytes[(newline + 1)...]
            }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        var lines: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            // What remains visible of a line is what followed its last carriage return.
            let shown = line.split(separator: "\r", omittingEmptySubsequences: false).last(where: { !stripped($0).isEmpty }) ?? ""
            let visible = stripped(shown)
            if !visible.trimmingCharacters(in: .whitespaces).isEmpty { lines.append(visible) }
        }
        return TaskLog(name: name, status: status, text: lines.joined(separator: "\n"), omittedBytes: omitted)
    }

    /// `line` without escape sequences and section markers.
    static func stripped(_ line: Substring) -> String {
        var out = ""
        var scalars = line.unicodeScalars[...]
        while let scalar = scalars.first {
            if scalar == "\u{1B}" {
                scalars = scalars.dropFirst()
                if scalars.first == "[" {
                    // CSI: parameters and intermediates up to a final byte in @...~
                    scalars = scalars.dropFirst()
                    while let next = scalars.first, !(0x40...0x7E).contains(next.value) { scalars = scalars.dropFirst() }
                    scalars = scalars.dropFirst()
                } else if scalars.first == "]" {
                    // OSC: up to BEL or ESC \
                    while let next = scalars.first, next != "\u{07}", next != "\u{1B}" { scalars = scalars.dropFirst() }
                    scalars = scalars.dropFirst()
                } else {
                    scalars = scalars.dropFirst()
                }
                continue
            }
            if scalar == "s", let marker = sectionMarkerLength(scalars) {
                scalars = scalars.dropFirst(marker)
                continue
            }
            if scalar.value < 0x20 && scalar != "\t" {
                scalars = scalars.dropFirst()
                continue
            }
            out.unicodeScalars.append(scalar)
            scalars = scalars.dropFirst()
        }
        return out
    }

    /// The length of a `section_start:<unix>:<name>[<options>]` or `section_end:<unix>:<name>`
    /// marker at the start of `scalars`, if one is there.
    static func sectionMarkerLength(_ scalars: Substring.UnicodeScalarView.SubSequence) -> Int? {
        let text = String(String.UnicodeScalarView(scalars.prefix(200)))
        guard let prefix = ["section_start:", "section_end:"].first(where: text.hasPrefix) else { return nil }
        var rest = text.dropFirst(prefix.count)
        let digits = rest.prefix { $0.isNumber }
        guard !digits.isEmpty, rest.dropFirst(digits.count).first == ":" else { return nil }
        rest = rest.dropFirst(digits.count + 1)
        let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }
        guard !name.isEmpty else { return nil }
        rest = rest.dropFirst(name.count)
        var length = prefix.unicodeScalars.count + digits.unicodeScalars.count + 1 + name.unicodeScalars.count
        if rest.first == "[", let close = rest.firstIndex(of: "]") {
            length += rest[...close].unicodeScalars.count
        }
        return length
    }
}
