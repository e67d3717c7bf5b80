package import Kubernetes

/// The outcome of applying resource modifiers to one item.
package struct ResourceModifierResult: Sendable {
    /// The item after every matching rule that succeeded.
    package var object: JSONValue
    /// Indices of the rules that matched and patched the item (a JSON patch whose `test` failed counts as
    /// matched but not applied, so it is not listed).
    package var appliedRules: [Int]
    /// One error per failing rule, each naming the rule index (the item is still restored, as in Velero).
    package var errors: [BackupEngineError]
}

extension ResourceModifiers {
    /// Applies the rules in order (`ApplyResourceModifierRules`). Conditions are evaluated on the item
    /// as it was before any rule ran; each matching rule patches the result of the previous ones. A rule
    /// that fails leaves the item as it was and adds an error.
    ///
    /// - Parameters:
    ///   - object: the item, with `metadata.namespace` still the backed-up namespace.
    ///   - groupResource: its canonical group-resource (`deployments.apps`).
    ///   - schemas: strategic-merge schemas by group and kind (custom resources have none: their
    ///     strategic patches fail, as in Velero).
    package func apply(
        to object: JSONValue,
        groupResource: String,
        schemas: PatchSchemaRegistry = .builtIn
    ) -> ResourceModifierResult {
        var result = ResourceModifierResult(object: object, appliedRules: [], errors: [])
        for (index, rule) in rules.enumerated() {
            do {
                guard try rule.matches(object, groupResource: groupResource) else { continue }
                if let patched = try rule.patch(result.object, schemas: schemas) {
                    result.object = patched
                    result.appliedRules.append(index)
                }
            } catch {
                let item = RestoreItemActions.describe(groupResource, object)
                result.errors.append(
                    BackupEngineError(
                        code: .modifierFailed,
                        message: "\(source): resource modifier rule \(index) failed on \(item): \(Self.message(error))"
                    )
                )
            }
        }
        return result
    }

    private static func message(_ error: any Error) -> String {
        if let e = error as? BackupEngineError { return e.message }
        if let e = error as? KubeError { return e.message }
        return "\(error)"
    }
}

extension ResourceModifiers.Rule {
    /// Whether the conditions hold for `object`.
    /// - Throws: when a `matches` path's parent is not a container in a way json-patch reports as an error.
    func matches(_ object: JSONValue, groupResource: String) throws -> Bool {
        let namespace = RestoreObjectFields.namespace(object)
        if !namespace.isEmpty, !IncludesExcludes(includes: conditions.namespaces).shouldInclude(namespace) {
            return false
        }
        guard conditions.groupResource.matches(groupResource) else { return false }
        if let regex = conditions.nameRegex, !regex.matches(RestoreObjectFields.name(object)) { return false }
        if let selector = conditions.labelSelector, !selector.matches(RestoreObjectFields.labels(object)) {
            return false
        }
        for test in conditions.compiledMatches where test.evaluate(on: object) != .passed { return false }
        return true
    }

    /// The patched object, or nil when a JSON patch `test` failed (the rule then changes nothing).
    func patch(_ object: JSONValue, schemas: PatchSchemaRegistry) throws -> JSONValue? {
        switch patches {
        case .json:
            var document = object
            for operation in compiledJSONPatch {
                switch operation {
                case .test(let test):
                    switch test.evaluate(on: document) {
                    case .passed: continue
                    case .failed: return nil
                    case .missing:
                        throw BackupEngineError(
                            code: .modifierFailed,
                            message: "error in applying JSON Patch: test operation does not apply: "
                                + "the parent of \"\(test.pointer)\" is missing"
                        )
                    }
                case .apply(let op):
                    document = try JSONPatch(operations: [op]).apply(to: document)
                }
            }
            return document
        case .merge(let patches):
            return patches.reduce(object) { JSONMergePatch.apply($1, to: $0) }
        case .strategic(let patches):
            let group = RestoreObjectFields.group(object)
            let kind = RestoreObjectFields.kind(object)
            guard let schema = schemas.schema(group: group, kind: kind) else {
                let version = object["apiVersion"]?.stringValue ?? ""
                throw BackupEngineError(
                    code: .modifierFailed,
                    message: "no kind \"\(kind)\" is registered for version \"\(version)\": "
                        + "strategic merge patches apply to built-in kinds only"
                )
            }
            var document = object
            for patch in patches {
                document = try StrategicMergePatch.apply(patch, to: document, schema: schema)
            }
            return document
        case .none:
            throw BackupEngineError(code: .modifierFailed, message: "no patch data found")
        }
    }
}
