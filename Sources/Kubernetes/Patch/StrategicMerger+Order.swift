// Element order of merged lists and `$setElementOrder` (apimachinery's `normalizeElementOrder`,
// `mergeSortedSlice` and `mergePatchIntoOriginal`).

extension StrategicMerger {
    /// Processes every `$setElementOrder/<field>` directive of `patch` together with its list.
    func mergeSetElementOrder(_ original: inout JSONObject, _ patch: inout JSONObject, path: [String]) throws {
        let directiveKeys = patch.keys.filter { $0.hasPrefix(PatchDirective.setElementOrder) }
        for directiveKey in directiveKeys {
            guard let orderValue = patch.removeValue(forKey: directiveKey) else { continue }
            let parts = directiveKey.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == PatchDirective.setElementOrder else {
                throw fail(path, "invalid patch format of setElementOrder list (key \"\(directiveKey)\")")
            }
            let field = String(parts[1])
            let fieldPath = path + [field]
            guard case .array(let order) = orderValue else {
                throw fail(
                    fieldPath,
                    "invalid patch format of setElementOrder list: expected a list, got \(orderValue.typeName)"
                )
            }
            var originalList: [JSONValue]?
            var patchList: [JSONValue]?
            if let value = original[field] {
                guard case .array(let a) = value else {
                    throw fail(fieldPath, "expected a list, got \(value.typeName)")
                }
                originalList = a
            }
            if let value = patch[field] {
                guard case .array(let a) = value else {
                    throw fail(fieldPath, "expected a list, got \(value.typeName)")
                }
                patchList = a
            }
            let strategy = schema.strategy(at: fieldPath)
            let mergeKey = strategy?.mergeKey ?? ""
            try validate(patchList ?? [], against: order, mergeKey: mergeKey, path: fieldPath)

            let merged: [JSONValue]
            switch (originalList, patchList) {
            case (let o?, nil): merged = o
            case (nil, let p?): merged = p
            case (let o?, let p?): merged = try mergeSliceHandler(o, p, path: fieldPath, isDeleteList: false)
            case (nil, nil): continue
            }
            guard let kind = try elementKind(originalList ?? [], patchList ?? [], path: fieldPath) else {
                original[field] = .array(merged)
                patch.removeValue(forKey: field)
                continue
            }
            let key = kind == .object ? mergeKey : nil
            let (patchItems, serverOnly) = try partition(merged, by: order, mergeKey: key, path: fieldPath)
            original[field] = .array(
                try normalizeElementOrder(
                    patchItems,
                    serverOnly,
                    patchOrder: order,
                    serverOrder: originalList ?? [],
                    mergeKey: key,
                    path: fieldPath
                )
            )
            patch.removeValue(forKey: field)
        }
    }

    /// Checks that the patch list's elements appear in the `$setElementOrder` list in the same relative order.
    private func validate(_ patchList: [JSONValue], against order: [JSONValue], mergeKey: String, path: [String]) throws
    {
        if order.isEmpty || patchList.isEmpty { return }
        let kept =
            mergeKey.isEmpty
            ? patchList : patchList.filter { $0[PatchDirective.marker]?.stringValue != PatchDirective.delete }
        var patchIndex = 0
        var orderIndex = 0
        while patchIndex < kept.count && orderIndex < order.count {
            if kept[patchIndex][PatchDirective.marker] != nil {
                patchIndex += 1
                continue
            }
            if try sameElement(
                kept[patchIndex],
                order[orderIndex],
                mergeKey: mergeKey.isEmpty ? nil : mergeKey,
                path: path
            ) {
                patchIndex += 1
            }
            orderIndex += 1
        }
        if patchIndex < kept.count && orderIndex >= order.count {
            throw fail(
                path,
                "the order in patch list \(JSONValue.array(patchList)) doesn't match $setElementOrder list \(JSONValue.array(order))"
            )
        }
    }

    private func sameElement(_ a: JSONValue, _ b: JSONValue, mergeKey: String?, path: [String]) throws -> Bool {
        guard let mergeKey else { return a == b }
        guard let left = a[mergeKey] else {
            throw fail(path, "map: \(a) does not contain declared merge key: \(mergeKey)")
        }
        guard let right = b[mergeKey] else {
            throw fail(path, "map: \(b) does not contain declared merge key: \(mergeKey)")
        }
        return left == right
    }

    /// Splits `items` into those present in `list` (by merge key for objects) and the others.
    func partition(
        _ items: [JSONValue],
        by list: [JSONValue],
        mergeKey: String?,
        path: [String]
    ) throws -> (present: [JSONValue], absent: [JSONValue]) {
        var present: [JSONValue] = []
        var absent: [JSONValue] = []
        for item in items {
            let found: Bool
            if let mergeKey {
                guard let value = item[mergeKey] else {
                    throw fail(path, "map: \(item) does not contain declared merge key: \(mergeKey)")
                }
                found = list.contains { $0[mergeKey] == value }
            } else {
                found = list.contains(item)
            }
            if found { present.append(item) } else { absent.append(item) }
        }
        return (present, absent)
    }

    /// Sorts patch items by `patchOrder` and server-only items by `serverOrder`, then interleaves them.
    func normalizeElementOrder(
        _ patchItems: [JSONValue],
        _ serverOnly: [JSONValue],
        patchOrder: [JSONValue],
        serverOrder: [JSONValue],
        mergeKey: String?,
        path: [String]
    ) throws -> [JSONValue] {
        let sortedPatch = try sortSlice(patchItems, by: patchOrder, mergeKey: mergeKey, path: path)
        let sortedServer = try sortSlice(serverOnly, by: serverOrder, mergeKey: mergeKey, path: path)
        return mergeSorted(left: sortedServer, right: sortedPatch, serverOrder: serverOrder, mergeKey: mergeKey)
    }

    private func index(of item: JSONValue, in list: [JSONValue], mergeKey: String?) -> Int? {
        if let mergeKey {
            let value = item[mergeKey]
            return list.firstIndex { $0[mergeKey] == value }
        }
        return list.firstIndex(of: item)
    }

    /// Stable sort by position in `order`; `$patch: delete` elements go last.
    private func sortSlice(
        _ items: [JSONValue],
        by order: [JSONValue],
        mergeKey: String?,
        path: [String]
    ) throws -> [JSONValue] {
        var toSort = items
        var toDelete: [JSONValue] = []
        if let mergeKey {
            for item in items + order where item[mergeKey] == nil {
                throw fail(path, "map: \(item) does not contain declared merge key: \(mergeKey)")
            }
            toSort = items.filter { $0[PatchDirective.marker]?.stringValue != PatchDirective.delete }
            toDelete = items.filter { $0[PatchDirective.marker]?.stringValue == PatchDirective.delete }
        }
        let keyed = toSort.enumerated().map { (offset, item) in
            (position: index(of: item, in: order, mergeKey: mergeKey) ?? Int.max, offset: offset, item: item)
        }
        let sorted = keyed.sorted { ($0.position, $0.offset) < ($1.position, $1.offset) }.map(\.item)
        return sorted + toDelete
    }

    /// Inserts the server-only items (`left`) among the patch items (`right`): a server item goes before
    /// the next patch item only when both are in the live list and the server item came first there.
    private func mergeSorted(
        left: [JSONValue],
        right: [JSONValue],
        serverOrder: [JSONValue],
        mergeKey: String?
    ) -> [JSONValue] {
        var result: [JSONValue] = []
        result.reserveCapacity(left.count + right.count)
        var i = 0
        var j = 0
        while i < left.count || j < right.count {
            if i >= left.count {
                result.append(right[j])
                j += 1
            } else if j >= right.count {
                result.append(left[i])
                i += 1
            } else if let li = index(of: left[i], in: serverOrder, mergeKey: mergeKey),
                let ri = index(of: right[j], in: serverOrder, mergeKey: mergeKey), li < ri
            {
                result.append(left[i])
                i += 1
            } else {
                result.append(right[j])
                j += 1
            }
        }
        return result
    }
}
