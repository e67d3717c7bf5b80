import Kubernetes

extension NodeAgentConfig {
    /// Applies Velero's validation and fall-backs against what is known of the cluster.
    ///
    /// Warnings (exact texts, in section order):
    /// - `Global number N is invalid, use the default value 1`
    /// - `Failed to parse rule with label selector S, skip it: …` / `Rule with label selector S is with an invalid number N, skip it`
    /// - `loadAffinity[i] has an invalid node selector: …`
    /// - `Pod resource requirements are invalid, ignore: …`
    /// - `Priority class not found in cluster, data mover pods will use default priority`
    /// - `backupPVC.SC: Ignoring spcNoRelabling for read-write volume`
    /// - `cachePVC is invalid, ignore it: storage class is absent` (or `… storage class "X" is not found`,
    ///   `… unexpected storage class reclaim policy X`, `… thresholdInGB N is out of range`),
    ///   `cachePVC.thresholdInGB is ignored because cachePVC.residentThresholdInMB is set`
    package func resolve(in cluster: ClusterFacts) -> ResolvedNodeAgentConfig {
        var warnings: [String] = []

        // loadConcurrency
        var global = ResolvedNodeAgentConfig.defaultConcurrency
        var rules: [ResolvedNodeAgentConfig.ConcurrencyRule] = []
        var prepareQueueLength = 0
        if let lc = loadConcurrency {
            if lc.globalConfig <= 0 {
                warnings.append("Global number \(lc.globalConfig) is invalid, use the default value \(global)")
            } else {
                global = lc.globalConfig
            }
            for (i, rule) in lc.perNodeConfig.enumerated() {
                let shown = rule.nodeSelector?.jsonString ?? "{}"
                let selector: LabelSelector
                do {
                    selector = try NodeAgentConfig.selector(rule.nodeSelector)
                } catch {
                    warnings.append(
                        "Failed to parse rule with label selector \(shown), skip it: \(NodeAgentConfig.text(of: error))"
                    )
                    continue
                }
                guard rule.number > 0 else {
                    warnings.append(
                        "Rule with label selector \(shown) is with an invalid number \(rule.number), skip it"
                    )
                    continue
                }
                rules.append(.init(index: i, selector: selector, number: rule.number))
            }
            prepareQueueLength = max(0, lc.prepareQueueLength)
        }

        // loadAffinity
        var affinity: [ResolvedNodeAgentConfig.LoadAffinityRule] = []
        for (i, entry) in loadAffinity.enumerated() {
            do {
                _ = try NodeAgentConfig.selector(entry.nodeSelector)
            } catch {
                warnings.append("loadAffinity[\(i)] has an invalid node selector: \(NodeAgentConfig.text(of: error))")
            }
            affinity.append(
                .init(
                    index: i,
                    storageClass: entry.storageClass,
                    requirements: NodeAgentConfig.requirements(of: entry.nodeSelector)
                )
            )
        }

        // podResources
        var resources: ResourceRequirements?
        if let podResources {
            do {
                resources = try ResourceRequirements.parse(podResources)
            } catch {
                warnings.append("Pod resource requirements are invalid, ignore: \(NodeAgentConfig.text(of: error))")
            }
        }

        // priorityClassName
        var priority: String?
        if !priorityClassName.isEmpty {
            if let known = cluster.priorityClasses, !known.contains(priorityClassName) {
                warnings.append("Priority class not found in cluster, data mover pods will use default priority")
            } else {
                priority = priorityClassName
            }
        }

        // backupPVC
        for source in backupPVC.keys.sorted() {
            if let entry = backupPVC[source], entry.spcNoRelabeling, !entry.readOnly {
                warnings.append("backupPVC.\(source): Ignoring spcNoRelabling for read-write volume")
            }
        }

        // cachePVC
        var cache: ResolvedNodeAgentConfig.CachePVC?
        if let cachePVC {
            if let problem = NodeAgentConfig.cacheProblem(cachePVC, cluster: cluster) {
                warnings.append("cachePVC is invalid, ignore it: \(problem)")
            } else {
                var threshold: Int64 = 0
                var source = "default"
                if let mb = cachePVC.residentThresholdInMB {
                    threshold = mb
                    source = "residentThresholdInMB"
                    if cachePVC.thresholdInGB != nil {
                        warnings.append(
                            "cachePVC.thresholdInGB is ignored because cachePVC.residentThresholdInMB is set"
                        )
                    }
                } else if let gb = cachePVC.thresholdInGB {
                    threshold = gb * 1024
                    source = "thresholdInGB"
                }
                cache = .init(
                    storageClass: cachePVC.storageClass,
                    residentThresholdInMB: threshold,
                    thresholdSource: source
                )
            }
        }

        return ResolvedNodeAgentConfig(
            globalConcurrency: global,
            concurrencyRules: rules,
            prepareQueueLength: prepareQueueLength,
            loadAffinity: affinity,
            podResources: resources,
            priorityClassName: priority,
            backupPVC: backupPVC,
            ignoreDelayBinding: restorePVC?.ignoreDelayBinding ?? false,
            privilegedFsBackup: privilegedFsBackup,
            cachePVC: cache,
            podLabels: podLabels,
            podAnnotations: podAnnotations,
            warnings: warnings
        )
    }

    /// A rule's selector: absent means every node (Go's zero `LabelSelector`).
    static func selector(_ json: JSONValue?) throws -> LabelSelector {
        guard let json, !json.isNull else { return .everything }
        return try LabelSelector(json: json)
    }

    /// matchLabels sorted by key as `In [value]`, then matchExpressions copied verbatim.
    static func requirements(of selector: JSONValue?) -> [NodeAffinity.Requirement] {
        var result: [NodeAffinity.Requirement] = []
        if let labels = selector?["matchLabels"]?.objectValue {
            for key in labels.keys.sorted() {
                result.append(.init(key: key, operator: "In", values: [labels[key]?.stringValue ?? ""]))
            }
        }
        for e in selector?["matchExpressions"]?.arrayValue ?? [] {
            result.append(
                .init(
                    key: e["key"]?.stringValue ?? "",
                    operator: e["operator"]?.stringValue ?? "",
                    values: (e["values"]?.arrayValue ?? []).compactMap(\.stringValue)
                )
            )
        }
        return result
    }

    static func cacheProblem(_ cache: CachePVC, cluster: ClusterFacts) -> String? {
        if cache.storageClass.isEmpty { return "storage class is absent" }
        if cache.residentThresholdInMB == nil, let gb = cache.thresholdInGB,
            gb.multipliedReportingOverflow(by: 1024).overflow
        {
            return "thresholdInGB \(gb) is out of range"
        }
        guard cluster.storageClasses != nil else { return nil }
        guard let sc = cluster.storageClass(named: cache.storageClass) else {
            return "storage class \"\(cache.storageClass)\" is not found"
        }
        if !sc.reclaimPolicy.isEmpty && sc.reclaimPolicy != "Delete" {
            return "unexpected storage class reclaim policy \(sc.reclaimPolicy)"
        }
        return nil
    }

    static func text(of error: any Error) -> String {
        if let e = error as? KubeError { return e.message }
        if let e = error as? NodeAgentError { return e.message }
        return "\(error)"
    }
}
