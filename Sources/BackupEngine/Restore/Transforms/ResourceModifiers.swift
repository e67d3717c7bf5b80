package import Kubernetes

/// Velero's resource-modifiers ConfigMap (`internal/resourcemodifiers`): rules that patch items during a
/// restore. The ConfigMap has exactly one data key whose value is YAML or JSON:
///
/// ```yaml
/// version: v1
/// resourceModifierRules:
/// - conditions:
///     groupResource: persistentvolumeclaims      # glob, "." separates: "*.apps", "**"
///     resourceNameRegex: "^mysql.*$"
///     namespaces: [bar, foo]                     # the backed-up namespace
///     labelSelector: {matchLabels: {foo: bar}}
///     matches: [{path: /spec/storageClassName, value: premium}]
///   patches:                                     # or mergePatches / strategicPatches: [{patchData: ...}]
///   - {operation: replace, path: /spec/storageClassName, value: "standard"}
/// ```
///
/// Everything is parsed and validated up front, so a malformed ConfigMap fails before anything is
/// restored. ``apply(to:groupResource:schemas:)`` then patches one item.
package struct ResourceModifiers: Sendable {
    /// One `matches` entry: the value at a JSON pointer must equal `value` (written like a patch value).
    package struct MatchRule: Sendable, Hashable {
        package var path: String
        package var value: String
        package init(path: String, value: String) {
            self.path = path
            self.value = value
        }
    }

    /// One `patches` entry (Velero's `JSONPatch`: all fields are strings; `value` is turned into JSON
    /// the way Velero does — see ``ResourceModifiers/patchValue(_:)``).
    package struct PatchOperation: Sendable, Hashable {
        package var operation: String
        package var from: String
        package var path: String
        package var value: String
        package init(operation: String, from: String = "", path: String, value: String = "") {
            self.operation = operation
            self.from = from
            self.path = path
            self.value = value
        }
    }

    /// A rule's conditions; all given ones must hold.
    package struct Conditions: Sendable {
        /// Backed-up namespaces (include globs); empty means all. Ignored for cluster-scoped items.
        package var namespaces: [String]
        /// A glob over the canonical group-resource (required).
        package var groupResource: GroupResourceGlob
        /// An unanchored regular expression over the item's name.
        package var resourceNameRegex: String?
        /// A label selector over the item's labels.
        package var labelSelector: LabelSelector?
        /// Values the item must hold.
        package var matches: [MatchRule]

        let nameRegex: NameRegex?
        let compiledMatches: [CompiledTest]
    }

    /// A rule's patches: exactly one kind per rule.
    package enum Patches: Sendable {
        /// RFC 6902 operations, applied together; a failing `test` leaves the item unchanged.
        case json([PatchOperation])
        /// RFC 7386 merge patches, applied in order.
        case merge([JSONValue])
        /// Strategic merge patches, applied in order (built-in kinds only).
        case strategic([JSONValue])
        /// No patch given (every matching item then gets the error `no patch data found`).
        case none
    }

    /// One `resourceModifierRules` entry.
    package struct Rule: Sendable {
        package var conditions: Conditions
        package var patches: Patches
        let compiledJSONPatch: [CompiledOperation]
    }

    /// `version` (only `v1`, any case, is accepted).
    package var version: String
    /// The rules, applied in order.
    package var rules: [Rule]
    /// Where the rules came from, for messages (`ConfigMap velero/name, key "k"`).
    package var source: String

    /// Reads the ConfigMap named by a restore's `spec.resourceModifier`.
    ///
    /// - Parameters:
    ///   - configMapNamespace: the ConfigMap's namespace (for messages).
    ///   - configMapName: its name (for messages).
    ///   - data: its `data`; it must have exactly one key.
    /// - Throws: ``BackupEngineError`` `.invalidModifiers` naming the ConfigMap, the key and the problem.
    package init(configMapNamespace: String, configMapName: String, data: [String: String]) throws {
        let configMap = "\(configMapNamespace)/\(configMapName)"
        guard data.count == 1, let entry = data.first else {
            throw BackupEngineError(
                code: .invalidModifiers,
                message: "illegal resource modifiers \(configMap) configmap: it must have exactly one data key, "
                    + "found \(data.count)\(data.isEmpty ? "" : " (\(data.keys.sorted().joined(separator: ", ")))")"
            )
        }
        try self.init(parsing: entry.value, source: "resource modifiers ConfigMap \(configMap), key \"\(entry.key)\"")
    }

    /// Parses and validates resource modifiers from YAML or JSON text.
    /// - Throws: ``BackupEngineError`` `.invalidModifiers` whose message starts with `source` and names the
    ///   field path (`resourceModifierRules[1].patches[0].operation`) and the problem.
    package init(parsing text: String, source: String = "resource modifiers") throws {
        self.source = source
        let document: JSONValue
        do {
            document = try JSONValue(yamlOrJSON: text)
        } catch {
            throw BackupEngineError(
                code: .invalidModifiers,
                message: "\(source): failed to decode yaml data into resource modifiers",
                cause: error
            )
        }
        let reader = ModifierDocumentReader(source: source)
        let top = try reader.object(document, at: "", allowed: ["version", "resourceModifierRules"])
        version = try reader.string(top["version"], at: "version") ?? ""
        guard version.lowercased() == "v1" else {
            throw reader.fail("version", "unsupported resource modifier version \"\(version)\" (only v1)")
        }
        let ruleValues = try reader.array(top["resourceModifierRules"], at: "resourceModifierRules")
        guard !ruleValues.isEmpty else {
            throw reader.fail("resourceModifierRules", "resource modifier rules cannot be empty")
        }
        rules = try ruleValues.enumerated().map { index, value in
            try reader.rule(value, at: "resourceModifierRules[\(index)]")
        }
    }
}
