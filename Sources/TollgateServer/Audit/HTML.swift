import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Server-rendered HTML for the auditor's pages: escaped text, a page frame, tables.
enum HTML {
    /// `text` safe inside elements and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A query-string value.
    static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    /// A whole page: title, navigation, body (already HTML).
    static func page(title: String, body: String) -> Response {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title)) · Tollgate</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style>
            body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1c1f24; background: #f6f7f9; }
            header { background: #1c2733; color: #fff; padding: 10px 24px; display: flex; gap: 24px; align-items: baseline; }
            header a { color: #cfe3ff; text-decoration: none; } header strong { font-size: 16px; }
            main { padding: 16px 24px; } h1 { font-size: 20px; margin: 4px 0 12px; } h2 { font-size: 16px; margin: 20px 0 8px; }
            table { border-collapse: collapse; background: #fff; width: 100%; font-size: 13px; }
            th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e3e6ea; vertical-align: top; }
            th { background: #eef1f4; font-weight: 600; } tr:hover td { background: #fafbfc; }
            .pass, .PROCESSED, .allow { color: #176c2f; font-weight: 600; } .warn { color: #9a6200; font-weight: 600; }
            .block, .FAILED, .deny, .error, .ABORTED { color: #b3261e; font-weight: 600; } .PROCESSING, .PLANNED { color: #3b5bdb; }
            .banner { padding: 10px 14px; border-radius: 6px; margin-bottom: 14px; } .ok { background: #e3f4e8; } .bad { background: #fde7e6; }
            form { display: flex; flex-wrap: wrap; gap: 8px; margin-bottom: 12px; align-items: end; }
            label { display: flex; flex-direction: column; font-size: 12px; color: #555; } input, select { font: inherit; padding: 3px 6px; }
            pre { background: #fff; border: 1px solid #e3e6ea; padding: 10px; overflow: auto; font-size: 12px; }
            .muted, .note { color: #6b7280; }
            figure { display: inline-block; vertical-align: top; margin: 0 16px 16px 0; background: #fff; border: 1px solid #e3e6ea; padding: 8px; }
            figcaption { font-size: 12px; color: #555; max-width: 740px; } .chart text { fill: #1c1f24; }
            </style></head>
            <body><header><strong>Tollgate</strong><a href="/audit">Overview</a><a href="/audit/decisions">Decisions</a></header>
            <main><h1>\(escape(title))</h1>
            \(body)
            </main></body></html>
            """
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A table of `rows` (cells already HTML) under `headers`.
    static func table(_ headers: [String], _ rows: [[String]]) -> String {
        let head = headers.map { "<th>\(escape($0))</th>" }.joined()
        let body = rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined(separator: "\n")
        return "<table><thead><tr>\(head)</tr></thead><tbody>\n\(body)\n</tbody></table>"
    }

    /// A word shown in its status colour.
    static func status(_ word: String) -> String { "<span class=\"\(escape(word))\">\(escape(word))</span>" }
}
