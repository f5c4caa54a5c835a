import TollgateJSON

/// Reads `lifecycleInfo` in either of its two forms.
///
/// - canonical: `{"dev": [task, ...], "test": [...]}`: stage order is key order;
/// - normalized (the ODM registry's): `{"tasksInfo": [{"stageName": "dev", "order": 1, ...}, ...]}`:
///   stage order is the order in which stages first appear.
///
/// Within a stage, tasks are sorted by their `order` when they declare one (ties and tasks without
/// one keep their written position).
enum LifecycleInfoParser {
    static func parse(_ value: JSONValue?, path: String) throws(DescriptorError) -> LifecycleDescriptor {
        guard let value, !value.isNull else { return LifecycleDescriptor(stages: []) }
        guard let object = value.objectValue else {
            throw DescriptorError(path: path, message: "must be an object: a stage map or {\"tasksInfo\": [...]}")
        }
        if let tasksInfo = object["tasksInfo"] {
            return try normalized(tasksInfo, path: path + ".tasksInfo")
        }
        var stages: [LifecycleDescriptor.Stage] = []
        for (stage, tasks) in object {
            let stagePath = path + "." + stage
            let entries: [JSONValue]
            switch tasks {
            case .array(let items): entries = items
            case .object: entries = [tasks]
            case .null: entries = []
            default: throw DescriptorError(path: stagePath, message: "must be a list of tasks")
            }
            var raw: [(JSONValue, String)] = []
            for (i, entry) in entries.enumerated() { raw.append((entry, "\(stagePath)[\(i + 1)]")) }
            stages.append(try stageDefinition(stage, raw))
        }
        return LifecycleDescriptor(stages: stages)
    }

    private static func normalized(_ value: JSONValue, path: String) throws(DescriptorError) -> LifecycleDescriptor {
        guard let items = value.arrayValue else { throw DescriptorError(path: path, message: "must be a list of tasks") }
        var order: [String] = []
        var byStage: [String: [(JSONValue, String)]] = [:]
        for (i, item) in items.enumerated() {
            let itemPath = "\(path)[\(i + 1)]"
            guard let stage = item["stageName"]?.stringValue, !stage.isEmpty else {
                throw DescriptorError(path: itemPath + ".stageName", message: "missing: each task of tasksInfo names its stage")
            }
            if byStage[stage] == nil { order.append(stage) }
            byStage[stage, default: []].append((item, itemPath))
        }
        var stages: [LifecycleDescriptor.Stage] = []
        for stage in order { stages.append(try stageDefinition(stage, byStage[stage] ?? [])) }
        return LifecycleDescriptor(stages: stages)
    }

    private struct Entry {
        var name: String?
        var order: Int?
        var executor: String?
        var template: JSONValue?
        var configurations: JSONValue?
        var written: Int
    }

    private static func stageDefinition(_ stage: String, _ raw: [(JSONValue, String)]) throws(DescriptorError) -> LifecycleDescriptor.Stage {
        var entries: [Entry] = []
        for (i, (value, path)) in raw.enumerated() {
            guard let task = value.objectValue else { throw DescriptorError(path: path, message: "a task must be an object") }
            var entry = Entry(written: i)
            if let name = task["name"], !name.isNull {
                guard let text = name.stringValue else { throw DescriptorError(path: path + ".name", message: "must be a string") }
                entry.name = isInventedName(text, stage: stage) || text.isEmpty ? nil : text
            }
            if let order = task["order"], !order.isNull {
                guard let number = order.intValue ?? order.stringValue.flatMap({ Int64($0) }) else {
                    throw DescriptorError(path: path + ".order", message: "must be an integer")
                }
                entry.order = Int(number)
            }
            if let service = task["service"], !service.isNull {
                guard let href = service["$href"]?.stringValue ?? service.stringValue else {
                    throw DescriptorError(path: path + ".service.$href", message: "must name the executor as a string")
                }
                entry.executor = href.isEmpty ? nil : href
            }
            if let template = task["template"], !template.isNull {
                entry.template = try TemplateDefinition.unwrapped(template, path: path + ".template")
            }
            if let configurations = task["configurations"], !configurations.isNull {
                guard configurations.objectValue != nil else {
                    throw DescriptorError(path: path + ".configurations", message: "must be an object")
                }
                entry.configurations = configurations
            }
            entries.append(entry)
        }
        let sorted = entries.sorted { a, b in
            let ka = a.order ?? Int.max, kb = b.order ?? Int.max
            return ka != kb ? ka < kb : a.written < b.written
        }
        var tasks: [TaskDefinition] = []
        var keys: Set<String> = []
        for (i, entry) in sorted.enumerated() {
            let key = entry.name ?? "task\(i + 1)"
            guard keys.insert(key).inserted else {
                throw DescriptorError(
                    path: "lifecycleInfo.\(stage)", message: "two tasks of stage '\(stage)' share the key '\(key)'; task names must be unique in a stage")
            }
            tasks.append(
                TaskDefinition(
                    name: entry.name, key: key, position: i + 1, order: entry.order, executor: entry.executor,
                    template: entry.template, configurations: entry.configurations))
        }
        return LifecycleDescriptor.Stage(name: stage, tasks: tasks)
    }

    /// ODM's normalizer names unnamed tasks `<stage>:task:<order>`.
    static func isInventedName(_ name: String, stage: String) -> Bool {
        let prefix = stage + ":task:"
        guard name.hasPrefix(prefix) else { return false }
        let rest = name.dropFirst(prefix.count)
        return !rest.isEmpty && rest.allSatisfy(\.isNumber)
    }
}
