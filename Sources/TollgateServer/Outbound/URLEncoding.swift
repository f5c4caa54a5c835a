import Foundation

/// Percent-encoding of the parts of outbound URLs built from input (product ids, versions, project
/// paths, query values): only RFC 3986's unreserved ASCII characters stay as they are, so no input
/// can add a path segment, a query or a fragment to the URL it is put in.
public enum URLEncoding {
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// `text` as one path segment (`platform/app` becomes `platform%2Fapp`).
    public static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// `items` as a query string (`a=1&b=x%20y`).
    public static func query(_ items: [(String, String)]) -> String {
        items.map { "\(segment($0.0))=\(segment($0.1))" }.joined(separator: "&")
    }
}
