import ArgumentParser

/// How `policy test` prints its results.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
    case junit
}

/// How the other commands print their results.
enum DataFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}
