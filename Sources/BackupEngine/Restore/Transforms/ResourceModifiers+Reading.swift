import Kubernetes

/// Walks the decoded resource-modifiers document strictly (unknown fields are errors, like Velero's
/// `yaml.UnmarshalStrict`), naming the field path in every message.
struct ModifierDocumentReader {
    let source: String

    func fail(_ path: String, _ problem: String) -> BackupEngineError {
        let location = path.isEmpty ? "" : "\(path): "
        return BackupEngineError(code: .invalidModifiers, message: "\(source): \(location)\(problem)")
    }

    func object(_ value: JSONValue?, at path: String, allowed: Set<String>) throws -> JSONObject {
        guard let value, !value.isNull else { return [:] }
        guard let members = value.objectValue else {
            throw fail(path, "expected an object, got \(value.typeName)")
        }
        if let unknown = members.keys.first(where: { !allowed.contains($0) }) {
            throw fail(path, "unknown field \"\(unknown)\" (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
        return members
    }

    func array(_ value: JSONValue?, at path: String) throws -> [JSONValue] {
        guard let value, !value.isNull else { return [] }
        guard let items = value.arrayValue else { throw fail(path, "expected a list, got \(value.typeName)") }
        return items
    }

    func string(_ value: JSONValue?, at path: String) throws -> String? {
        guard let value, !value.isNull else { return nil }
        guard let text = value.stringValue else { throw fail(path, "expected a string, got \(value.typeName)") }
        return text
    }

    /// A patch or match `value`: Velero declares it a string; numbers, booleans and JSON structures
    /// written unquoted in YAML are accepted and read as their JSON text.
    func valueText(_ value: JSONValue?) -> String {
        guard let value, !value.isNull else { return "" }
        if let text = value.stringValue { return text }
        return value.jsonString
    }

    func rule(_ value: JSONValue, at path: String) throws -> ResourceModifiers.Rule {
        let members = try object(
            value,
            at: path,
            allowed: ["conditions", "patches", "mergePatches", "strategicPatches"]
        )
        let conditions = try self.conditions(members["conditions"], at: "\(path).conditions")
        let json = try array(members["patches"], at: "\(path).patches")
        let merge = try array(members["mergePatches"], at: "\(path).mergePatches")
        let strategic = try array(members["strategicPatches"], at: "\(path).strategicPatches")
        guard [json, merge, strategic].filter({ !$0.isEmpty }).count <= 1 else {
            throw fail(path, "only one of patches, mergePatches, strategicPatches can be specified")
        }
        let patches: ResourceModifiers.Patches
        var compiled: [CompiledOperation] = []
        if !json.isEmpty {
            var operations: [ResourceModifiers.PatchOperation] = []
            for (index, item) in json.enumerated() {
                let itemPath = "\(path).patches[\(index)]"
                let fields = try object(item, at: itemPath, allowed: ["operation", "from", "path", "value"])
                let operation = ResourceModifiers.PatchOperation(
                    operation: try string(fields["operation"], at: "\(itemPath).operation") ?? "",
                    from: try string(fields["from"], at: "\(itemPath).from") ?? "",
                    path: try string(fields["path"], at: "\(itemPath).path") ?? "",
                    value: valueText(fields["value"])
                )
                operations.append(operation)
                compiled.append(try CompiledOperation(operation, at: itemPath, reader: self))
            }
            patches = .json(operations)
        } else if !merge.isEmpty {
            patches = .merge(try patchData(merge, at: "\(path).mergePatches"))
        } else if !strategic.isEmpty {
            patches = .strategic(try patchData(strategic, at: "\(path).strategicPatches"))
        } else {
            patches = .none
        }
        return ResourceModifiers.Rule(conditions: conditions, patches: patches, compiledJSONPatch: compiled)
    }

    private func patchData(_ items: [JSONValue], at path: String) throws -> [JSONValue] {
        try items.enumerated().map { index, item in
            let itemPath = "\(path)[\(index)]"
            let fields = try object(item, at: itemPath, allowed: ["patchData"])
            guard let text = try string(fields["patchData"], at: "\(itemPath).patchData") else {
                throw fail("\(itemPath).patchData", "patchData is required")
            }
            let patch: JSONValue
            do {
                patch = try JSONValue(yamlOrJSON: text)
            } catch {
                throw fail("\(itemPath).patchData", "error in converting YAML to JSON: \(error)")
            }
            guard patch.objectValue != nil else {
                throw fail("\(itemPath).patchData", "a patch must be an object, got \(patch.typeName)")
            }
            return patch
        }
    }

    private func conditions(_ value: JSONValue?, at path: String) throws -> ResourceModifiers.Conditions {
        let members = try object(
            value,
            at: path,
            allowed: ["namespaces", "groupResource", "resourceNameRegex", "labelSelector", "matches"]
        )
        let namespaces = try array(members["namespaces"], at: "\(path).namespaces").enumerated().map {
            try string($1, at: "\(path).namespaces[\($0)]") ?? ""
        }
        let groupResource = try string(members["groupResource"], at: "\(path).groupResource") ?? ""
        guard !groupResource.isEmpty else { throw fail("\(path).groupResource", "groupResource cannot be empty") }
        let glob: GroupResourceGlob
        do { glob = try GroupResourceGlob(groupResource) } catch let e as BackupEngineError {
            throw fail("\(path).groupResource", e.message)
        }
        let regexText = try string(members["resourceNameRegex"], at: "\(path).resourceNameRegex")
        var nameRegex: NameRegex?
        if let regexText, !regexText.isEmpty {
            do { nameRegex = try NameRegex(regexText) } catch {
                throw fail("\(path).resourceNameRegex", "error in matching regex \"\(regexText)\": \(error)")
            }
        }
        let selector = try labelSelector(members["labelSelector"], at: "\(path).labelSelector")
        var matches: [ResourceModifiers.MatchRule] = []
        var tests: [CompiledTest] = []
        for (index, item) in try array(members["matches"], at: "\(path).matches").enumerated() {
            let itemPath = "\(path).matches[\(index)]"
            let fields = try object(item, at: itemPath, allowed: ["path", "value"])
            let rule = ResourceModifiers.MatchRule(
                path: try string(fields["path"], at: "\(itemPath).path") ?? "",
                value: valueText(fields["value"])
            )
            guard !rule.path.isEmpty else { throw fail("\(itemPath).path", "path is required for match rule") }
            matches.append(rule)
            tests.append(
                try CompiledTest(path: rule.path, value: rule.value, at: itemPath, reader: self)
            )
        }
        return ResourceModifiers.Conditions(
            namespaces: namespaces,
            groupResource: glob,
            resourceNameRegex: regexText,
            labelSelector: selector,
            matches: matches,
            nameRegex: nameRegex,
            compiledMatches: tests
        )
    }

    private func labelSelector(_ value: JSONValue?, at path: String) throws -> LabelSelector? {
        guard let value, !value.isNull else { return nil }
        _ = try object(value, at: path, allowed: ["matchLabels", "matchExpressions"])
        for (index, item) in try array(value["matchExpressions"], at: "\(path).matchExpressions").enumerated() {
            _ = try object(item, at: "\(path).matchExpressions[\(index)]", allowed: ["key", "operator", "values"])
        }
        do {
            return try LabelSelector(json: value)
        } catch let error as KubeError {
            throw fail(path, "error in creating label selector: \(error.message)")
        }
    }
}
