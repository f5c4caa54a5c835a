public import TollgateJSON

/// The reference walk-through of `lifecycle-example.md`: what its tasks report and the contexts
/// they must receive, word for word.
public enum Walkthrough {
    /// The `dev` stage's first task reports this VM.
    public static let vmResults: JSONValue = ["vm": ["name": "vm-dev", "ip": "198.168.20.120"]]
    /// The `dev` stage's second task reports this URL.
    public static let urlResults: JSONValue = ["url": "localhost:8121/helloWorld"]

    /// Step 1: the context of dev's first task.
    public static let step1Context = #"{ "dev": { "status": "RUNNING", "finishedAt": null, "results": null } }"#

    /// Step 3: the context of dev's second task.
    public static let step3Context = #"""
        { "dev": { "status": "RUNNING", "finishedAt": null,
                   "results": { "task1": { "vm": { "name": "vm-dev", "ip": "198.168.20.120" } } } } }
        """#

    /// Step 5: the context of test's task, with dev finished at `2023-11-23T14:32:00Z`.
    public static let step5Context = #"""
        { "dev":  { "status": "PROCESSED", "finishedAt": "2023-11-23T14:32:00Z",
                    "results": { "task1": { "vm": { "name": "vm-dev", "ip": "198.168.20.120" } },
                                 "task2": { "url": "localhost:8121/helloWorld" } } },
          "test": { "status": "RUNNING", "finishedAt": null, "results": null } }
        """#

    /// A context as a JSON value.
    public static func context(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }
}
