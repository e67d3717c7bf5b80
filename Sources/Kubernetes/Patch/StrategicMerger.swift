/// The merge algorithm behind ``StrategicMergePatch`` (a port of apimachinery's `mergeMap` / `mergeSlice`
/// with `MergeParallelList` and `IgnoreUnmatchedNulls` on, as the API server uses them).
struct StrategicMerger {
    let schema: PatchSchema

    /// The JSON type of list elements, as far as merging cares.
    enum ElementKind: Equatable {
        case object, scalar
    }

    func fail(_ path: [String], _ text: String, code: KubeError.Code = .badRequest) -> KubeError {
        let location = path.isEmpty ? "" : " at \(path.joined(separator: "."))"
        return KubeError(code: code, message: "strategic merge patch\(location): \(text)")
    }

    // MARK: - Objects

    func mergeMap(_ originalIn: JSONObject, _ patchIn: JSONObject, path: [String]) throws -> JSONObject {
        var patch = patchIn
        if let directive = patch[PatchDirective.marker] {
            switch directive.stringValue {
            case PatchDirective.replace:
                patch.removeValue(forKey: PatchDirective.marker)
                return discardingNulls(.object(patch)).objectValue ?? [:]
            case PatchDirective.delete:
                return [:]
            default:
                throw fail(path, "unknown patch type: \(directive) in map: \(JSONValue.object(patch))")
            }
        }
        var original = originalIn
        try applyRetainKeys(&original, &patch, path: path)
        try mergeSetElementOrder(&original, &patch, path: path)

        for (rawKey, patchValue) in patch {
            var key = rawKey
            var isDeleteList = false
            if rawKey.hasPrefix(PatchDirective.deleteFromPrimitiveList) {
                key = try extractKey(rawKey, prefix: PatchDirective.deleteFromPrimitiveList, path: path)
                isDeleteList = true
            }
            if patchValue.isNull {
                original.removeValue(forKey: key)
                continue
            }
            guard let originalValue = original[key] else {
                if !isDeleteList { original[key] = discardingNulls(patchValue) }
                continue
            }
            let fieldPath = path + [key]
            switch (originalValue, patchValue) {
            case (.object(let o), .object(let p)):
                if schema.strategy(at: fieldPath)?.replaceObject == true {
                    original[key] = discardingNulls(patchValue)
                } else {
                    original[key] = .object(try mergeMap(o, p, path: fieldPath))
                }
            case (.array(let o), .array(let p)):
                original[key] = .array(try mergeSliceHandler(o, p, path: fieldPath, isDeleteList: isDeleteList))
            default:
                if !isDeleteList { original[key] = discardingNulls(patchValue) }
            }
        }
        return original
    }

    private func extractKey(_ key: String, prefix: String, path: [String]) throws -> String {
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == prefix else {
            if prefix == PatchDirective.deleteFromPrimitiveList {
                throw fail(path, "invalid patch format of primitive list (key \"\(key)\")")
            }
            throw fail(path, "invalid patch format of setElementOrder list (key \"\(key)\")")
        }
        return String(parts[1])
    }

    /// `$retainKeys`: drops the original's members that the list does not name; every member of the patch
    /// must be named.
    private func applyRetainKeys(_ original: inout JSONObject, _ patch: inout JSONObject, path: [String]) throws {
        guard let retain = patch.removeValue(forKey: PatchDirective.retainKeys) else { return }
        guard case .array(let list) = retain else { throw fail(path, "invalid patch format of retainKeys") }
        let names = Set(list.compactMap(\.stringValue))
        for (key, value) in patch {
            if value.isNull || key.hasPrefix(PatchDirective.deleteFromPrimitiveList)
                || key.hasPrefix(PatchDirective.setElementOrder)
            {
                continue
            }
            guard names.contains(key) else {
                throw fail(path, "invalid patch format of retainKeys: \"\(key)\" is not in the $retainKeys list")
            }
        }
        for key in original.keys where !names.contains(key) { original.removeValue(forKey: key) }
    }

    // MARK: - Lists

    func mergeSliceHandler(
        _ original: [JSONValue],
        _ patch: [JSONValue],
        path: [String],
        isDeleteList: Bool
    ) throws -> [JSONValue] {
        let strategy = schema.strategy(at: path)
        guard strategy?.mergeList == true || isDeleteList else {
            return patch.map(discardingNulls)
        }
        return try mergeSlice(
            original,
            patch,
            mergeKey: strategy?.mergeKey ?? "",
            path: path,
            isDeleteList: isDeleteList
        )
    }

    func elementKind(_ lists: [JSONValue]..., path: [String]) throws -> ElementKind? {
        var kind: ElementKind?
        for list in lists {
            for v in list {
                let k: ElementKind
                switch v {
                case .array: throw fail(path, "lists of lists are not supported", code: .invalid)
                case .object: k = .object
                default: k = .scalar
                }
                if let existing = kind, existing != k {
                    throw fail(path, "list element types are not identical: \(JSONValue.array(lists.flatMap { $0 }))")
                }
                kind = k
            }
        }
        return kind
    }

    private func mergeSlice(
        _ originalIn: [JSONValue],
        _ patchIn: [JSONValue],
        mergeKey: String,
        path: [String],
        isDeleteList: Bool
    ) throws -> [JSONValue] {
        if originalIn.isEmpty && patchIn.isEmpty { return originalIn }
        guard let kind = try elementKind(originalIn, patchIn, path: path) else { return originalIn }
        var original = originalIn
        var patch = patchIn
        let merged: [JSONValue]
        if kind == .scalar {
            if isDeleteList {
                return original.filter { item in !patch.contains(item) }
            }
            merged = deduplicated(original + patch)
        } else {
            guard !mergeKey.isEmpty else { throw fail(path, "cannot merge lists without merge key for type map") }
            (original, patch) = try mergeSliceWithSpecialElements(original, patch, mergeKey: mergeKey, path: path)
            merged = try mergeSliceWithoutSpecialElements(original, patch, mergeKey: mergeKey, path: path)
        }
        let key = kind == .object ? mergeKey : nil
        let (patchItems, serverOnly) = try partition(merged, by: patch, mergeKey: key, path: path)
        return try normalizeElementOrder(
            patchItems,
            serverOnly,
            patchOrder: patch,
            serverOrder: original,
            mergeKey: key,
            path: path
        )
    }

    private func deduplicated(_ items: [JSONValue]) -> [JSONValue] {
        var result: [JSONValue] = []
        for item in items where !result.contains(item) { result.append(item) }
        return result
    }

    /// Handles `$patch` elements: `delete` removes the matching live elements, `replace` drops the live list.
    private func mergeSliceWithSpecialElements(
        _ original: [JSONValue],
        _ patch: [JSONValue],
        mergeKey: String,
        path: [String]
    ) throws -> ([JSONValue], [JSONValue]) {
        var original = original
        var plain: [JSONValue] = []
        var replace = false
        for item in patch {
            guard let directive = item[PatchDirective.marker] else {
                plain.append(item)
                continue
            }
            switch directive.stringValue {
            case PatchDirective.delete:
                guard let keyValue = item[mergeKey] else {
                    throw fail(path, "map: \(item) does not contain declared merge key: \(mergeKey)")
                }
                original.removeAll { $0[mergeKey] == keyValue }
            case PatchDirective.replace:
                replace = true
            case PatchDirective.merge:
                throw fail(path, "merging lists cannot yet be specified in the patch")
            default:
                throw fail(path, "unknown patch type: \(directive) in map: \(item)")
            }
        }
        return replace ? (plain, []) : (original, plain)
    }

    private func mergeSliceWithoutSpecialElements(
        _ original: [JSONValue],
        _ patch: [JSONValue],
        mergeKey: String,
        path: [String]
    ) throws -> [JSONValue] {
        var result = original
        for item in patch {
            guard case .object(let patchElement) = item, let keyValue = patchElement[mergeKey] else {
                throw fail(path, "map: \(item) does not contain declared merge key: \(mergeKey)")
            }
            if let index = result.firstIndex(where: { $0[mergeKey] == keyValue }) {
                guard case .object(let live) = result[index] else {
                    throw fail(path, "value for key \(index) is not a map")
                }
                result[index] = .object(try mergeMap(live, patchElement, path: path))
            } else {
                result.append(discardingNulls(item))
            }
        }
        return result
    }
}
