import Foundation

/// Charts drawn on the server as inline SVG: no script, readable by any browser, printable, and
/// each bar carries a `<title>` (its exact figure, shown on hover).
enum SVGChart {
    /// One coloured part of a bar.
    struct Segment {
        var name: String
        var value: Double
        var color: String
    }

    /// One series of a legend.
    struct Key {
        var name: String
        var color: String
    }

    static let pass = "#2e7d32", warn = "#f9a825", block = "#c62828", p50 = "#1565c0", p95 = "#90caf9"

    /// Vertical stacked columns, one per category (days), segments from the bottom up.
    static func columns(label: String, categories: [String], stacks: [[Segment]], keys: [Key]) -> String {
        let width = 760.0, height = 240.0, left = 44.0, right = 12.0, top = 28.0, bottom = 46.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let maximum = niceCeiling(stacks.map { $0.reduce(0) { $0 + $1.value } }.max() ?? 0)
        let band = plotWidth / Double(max(categories.count, 1))
        var svg = open(label: label, width: width, height: height)
        svg += legend(keys, x: left, y: 14)
        svg += valueAxis(maximum: maximum, x: left, top: top, height: plotHeight, width: plotWidth)
        for (index, stack) in stacks.enumerated() {
            let x = left + Double(index) * band + band * 0.15
            var base = top + plotHeight
            let total = stack.reduce(0) { $0 + $1.value }
            for segment in stack where segment.value > 0 {
                let barHeight = maximum > 0 ? segment.value / maximum * plotHeight : 0
                base -= barHeight
                svg += "<rect x=\"\(f(x))\" y=\"\(f(base))\" width=\"\(f(band * 0.7))\" height=\"\(f(barHeight))\" fill=\"\(segment.color)\">"
                    + "<title>\(HTML.escape(categories[index])): \(Int(segment.value)) \(HTML.escape(segment.name)) of \(Int(total))</title></rect>"
            }
            // Every fifth day and the last are named, so the labels never overlap.
            if index % 5 == 0 || index == categories.count - 1 {
                svg += "<text x=\"\(f(x + band * 0.35))\" y=\"\(f(top + plotHeight + 16))\" text-anchor=\"middle\">\(HTML.escape(String(categories[index].suffix(5))))</text>"
            }
        }
        return svg + "</svg>"
    }

    /// Horizontal bars, one row per label, segments side by side from the left; `format` writes
    /// the figure after the bar (from the row's segments).
    static func bars(label: String, rows: [(label: String, segments: [Segment])], keys: [Key], overlaid: Bool = false, format: ([Segment]) -> String) -> String {
        let labelWidth = 230.0, barWidth = 380.0, figureWidth = 170.0, rowHeight = 22.0, top = 28.0
        let width = labelWidth + barWidth + figureWidth, height = top + Double(max(rows.count, 1)) * rowHeight + 8
        let maximum = rows.map { row in overlaid ? (row.segments.map(\.value).max() ?? 0) : row.segments.reduce(0) { $0 + $1.value } }.max() ?? 0
        var svg = open(label: label, width: width, height: height)
        svg += legend(keys, x: labelWidth, y: 14)
        if rows.isEmpty {
            svg += "<text x=\"\(f(labelWidth))\" y=\"\(f(top + 14))\">none</text>"
        }
        for (index, row) in rows.enumerated() {
            let y = top + Double(index) * rowHeight
            let shown = row.label.count > 36 ? String(row.label.prefix(35)) + "…" : row.label
            svg += "<text x=\"\(f(labelWidth - 8))\" y=\"\(f(y + 15))\" text-anchor=\"end\"><title>\(HTML.escape(row.label))</title>\(HTML.escape(shown))</text>"
            var x = labelWidth
            // Overlaid bars (p95 behind p50) are drawn widest first, each thinner than the one before.
            let segments = overlaid ? row.segments.sorted { $0.value > $1.value } : row.segments
            for (order, segment) in segments.enumerated() where segment.value > 0 {
                let length = maximum > 0 ? segment.value / maximum * barWidth : 0
                let inset = overlaid ? Double(order) * 4 : 0
                svg += "<rect x=\"\(f(x))\" y=\"\(f(y + 3 + inset))\" width=\"\(f(max(length, 1)))\" height=\"\(f(rowHeight - 6 - 2 * inset))\" fill=\"\(segment.color)\">"
                    + "<title>\(HTML.escape(row.label)): \(HTML.escape(format([segment])))</title></rect>"
                if !overlaid { x += length }
            }
            let end = overlaid ? labelWidth + (maximum > 0 ? (row.segments.map(\.value).max() ?? 0) / maximum * barWidth : 0) : x
            svg += "<text x=\"\(f(end + 6))\" y=\"\(f(y + 15))\">\(HTML.escape(format(row.segments)))</text>"
        }
        return svg + "</svg>"
    }

    private static func open(label: String, width: Double, height: Double) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" aria-label=\"\(HTML.escape(label))\" "
            + "width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"sans-serif\" font-size=\"11\">"
            + "<title>\(HTML.escape(label))</title>"
    }

    private static func legend(_ keys: [Key], x: Double, y: Double) -> String {
        var svg = "", offset = x
        for key in keys {
            svg += "<rect x=\"\(f(offset))\" y=\"\(f(y - 9))\" width=\"10\" height=\"10\" fill=\"\(key.color)\"/>"
                + "<text x=\"\(f(offset + 14))\" y=\"\(f(y))\">\(HTML.escape(key.name))</text>"
            offset += 24 + Double(key.name.count) * 6.5
        }
        return svg
    }

    private static func valueAxis(maximum: Double, x: Double, top: Double, height: Double, width: Double) -> String {
        var svg = ""
        for step in 0...4 {
            let value = maximum * Double(step) / 4
            let y = top + height - (maximum > 0 ? value / maximum * height : 0)
            svg += "<line x1=\"\(f(x))\" x2=\"\(f(x + width))\" y1=\"\(f(y))\" y2=\"\(f(y))\" stroke=\"#ddd\"/>"
                + "<text x=\"\(f(x - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(value == value.rounded() ? String(Int(value)) : f(value))</text>"
        }
        return svg
    }

    /// The smallest of 1.2, 2, 4, 8, 12 × 10ⁿ not below `value` (at least 4): a round top for the
    /// axis whose quarters are whole numbers.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 4 else { return 4 }
        let magnitude = pow(10, (log10(value)).rounded(.down))
        for factor in [1.2, 2, 4, 8, 12] where factor * magnitude >= value { return factor * magnitude }
        return 12 * magnitude
    }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
