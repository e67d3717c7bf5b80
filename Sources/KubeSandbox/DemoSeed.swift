import Foundation
import Kubernetes

/// `--seed demo`: namespace `demo` with an application that runs and writes real data: a Deployment `web`
/// (whose ReplicaSet and Pod the controllers make) appending to its PVC `web-data`, whose volume also holds
/// a few files, and a StatefulSet `db` of two replicas, each writing into its own claim (`data-db-0`,
/// `data-db-1`); with them Services, a ConfigMap, a Secret, a ServiceAccount with a RoleBinding, a CRD
/// (`widgets.demo.lifeboat.io`) and one Widget. Skipped when namespace `demo` exists.
///
/// The containers are `busybox:1.36` with a `sh -c` loop as their command, which the sandbox runs on the
/// host (POSIX sh and coreutils are all they need).
struct DemoSeed {
    let core: SandboxCore

    func run() async throws {
        if core.store.get("namespaces", ObjectKey(namespace: "", name: "demo")) != nil { return }
        let labels: JSONValue = ["app": "web"]
        try await create("v1", "namespaces", nil, ["metadata": ["name": "demo"]])
        try await create(
            "v1",
            "configmaps",
            "demo",
            [
                "metadata": ["name": "web-config", "labels": labels],
                "data": ["greeting": "hello from the sandbox", "color": "blue"],
            ]
        )
        try await create(
            "v1",
            "secrets",
            "demo",
            [
                "metadata": ["name": "web-credentials", "labels": labels],
                "stringData": ["username": "demo", "password": "not-a-real-password"],
            ]
        )
        try await create("v1", "serviceaccounts", "demo", ["metadata": ["name": "web", "labels": labels]])
        try await create(
            "rbac.authorization.k8s.io/v1",
            "rolebindings",
            "demo",
            [
                "metadata": ["name": "web-view", "labels": labels],
                "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"],
                "subjects": [["kind": "ServiceAccount", "name": "web", "namespace": "demo"]],
            ]
        )
        let folder = core.volumesRoot.appendingPathComponent("volumes/\(Self.volumeName)")
        try await create(
            "v1",
            "persistentvolumes",
            nil,
            [
                "metadata": [
                    "name": .string(Self.volumeName),
                    "annotations": ["pv.kubernetes.io/provisioned-by": .string(ClusterController.provisioner)],
                ],
                "spec": [
                    "capacity": ["storage": "1Gi"], "accessModes": ["ReadWriteOnce"],
                    "persistentVolumeReclaimPolicy": "Delete",
                    "storageClassName": .string(ClusterController.storageClassName),
                    "claimRef": [
                        "kind": "PersistentVolumeClaim", "apiVersion": "v1", "namespace": "demo", "name": "web-data",
                    ],
                    "csi": [
                        "driver": .string(ClusterController.provisioner), "volumeHandle": .string(Self.volumeName),
                        "volumeAttributes": ["path": .string(folder.path)],
                    ],
                ],
            ]
        )
        try await create(
            "v1",
            "persistentvolumeclaims",
            "demo",
            [
                "metadata": ["name": "web-data", "labels": labels],
                "spec": [
                    "accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]],
                    "volumeName": .string(Self.volumeName),
                ],
            ]
        )
        try writeVolumeFiles(folder)
        try await create(
            "v1",
            "services",
            "demo",
            [
                "metadata": ["name": "web", "labels": labels],
                "spec": ["selector": labels, "ports": [["port": 80, "targetPort": 8080]]],
            ]
        )
        // The Deployment controller makes its ReplicaSet (`web-<hash>`) and that set its Pod, whose container
        // appends a line to its claim every few seconds.
        try await create(
            "apps/v1",
            "deployments",
            "demo",
            [
                "metadata": ["name": "web", "labels": labels],
                "spec": ["replicas": 1, "selector": ["matchLabels": labels], "template": Self.webTemplate],
            ]
        )
        try await createDatabase()
        try await create(
            "apiextensions.k8s.io/v1",
            "customresourcedefinitions",
            nil,
            [
                "metadata": ["name": "widgets.demo.lifeboat.io"],
                "spec": [
                    "group": "demo.lifeboat.io", "scope": "Namespaced",
                    "names": ["plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wg"]],
                    "versions": [
                        [
                            "name": "v1", "served": true, "storage": true,
                            "schema": [
                                "openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]
                            ],
                            "additionalPrinterColumns": [
                                ["name": "Size", "type": "integer", "jsonPath": ".spec.size"]
                            ],
                        ]
                    ],
                ],
            ]
        )
        try await create(
            "demo.lifeboat.io/v1",
            "widgets",
            "demo",
            ["metadata": ["name": "blue-widget", "labels": labels], "spec": ["size": 3, "color": "blue"]]
        )
    }

    static let volumeName = "pvc-demo-web-data"

    /// The shell loop a demo container runs: appends `<time> <pod> write <n>` to `file` every 5 seconds, and
    /// exits at once on SIGTERM (as PID 1 of its container it would otherwise ignore it until the grace period
    /// ends and SIGKILL comes).
    static func writerCommand(_ file: String) -> JSONValue {
        [
            "sh", "-c",
            .string(
                "trap 'exit 0' TERM; n=0; while true; do n=$((n+1)); "
                    + "echo \"$(date -u +%Y-%m-%dT%H:%M:%SZ) $POD_NAME write $n\" >> \(file); sleep 5 & wait $!; done"
            ),
        ]
    }

    /// The writer container: `busybox:1.36` running ``writerCommand(_:)`` with the pod's name in `POD_NAME`.
    static func writerContainer(_ name: String, file: String) -> JSONValue {
        [
            "name": .string(name), "image": "busybox:1.36", "command": writerCommand(file),
            "env": [["name": "POD_NAME", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]]],
            "volumeMounts": [["name": "data", "mountPath": "/data"]],
        ]
    }

    /// The `web` Deployment's pod template: the writer on claim `web-data`.
    static let webTemplate: JSONValue = [
        "metadata": ["labels": ["app": "web"]],
        "spec": [
            "serviceAccountName": "web",
            "containers": [writerContainer("web", file: "/data/writes.log")],
            "volumes": [["name": "data", "persistentVolumeClaim": ["claimName": "web-data"]]],
        ],
    ]

    /// The headless Service `db` and the StatefulSet `db`: two replicas, each with its claim `data-db-<n>`.
    private func createDatabase() async throws {
        let labels: JSONValue = ["app": "db"]
        try await create(
            "v1",
            "services",
            "demo",
            [
                "metadata": ["name": "db", "labels": labels],
                "spec": ["clusterIP": "None", "selector": labels, "ports": [["port": 5432, "targetPort": 5432]]],
            ]
        )
        try await create(
            "apps/v1",
            "statefulsets",
            "demo",
            [
                "metadata": ["name": "db", "labels": labels],
                "spec": [
                    "serviceName": "db", "replicas": 2, "selector": ["matchLabels": labels],
                    "template": [
                        "metadata": ["labels": labels],
                        "spec": ["containers": [Self.writerContainer("db", file: "/data/db.log")]],
                    ],
                    "volumeClaimTemplates": [
                        [
                            "metadata": ["name": "data"],
                            "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]],
                        ]
                    ],
                ],
            ]
        )
    }

    /// A few files in the demo volume's folder.
    private func writeVolumeFiles(_ folder: URL) throws {
        do {
            try FileManager.default.createDirectory(
                at: folder.appendingPathComponent("html"),
                withIntermediateDirectories: true
            )
            try "<h1>Hello from the Lifeboat sandbox</h1>\n".write(
                to: folder.appendingPathComponent("html/index.html"),
                atomically: true,
                encoding: .utf8
            )
            try "demo data, line 1\ndemo data, line 2\n".write(
                to: folder.appendingPathComponent("notes.txt"),
                atomically: true,
                encoding: .utf8
            )
            try Data((0..<4096).map { UInt8($0 % 251) }).write(to: folder.appendingPathComponent("blob.bin"))
        } catch {
            throw SandboxError(.seed, "cannot write demo volume files to \(folder.path)", cause: error)
        }
    }

    @discardableResult
    private func create(
        _ groupVersion: String,
        _ plural: String,
        _ namespace: String?,
        _ object: JSONValue
    ) async throws -> JSONValue {
        guard let type = core.registry.lookup(groupVersion: groupVersion, plural: plural) else {
            throw SandboxError(.seed, "seed type \(groupVersion) \(plural) is not registered")
        }
        do {
            let result = try await core.create(type, namespace: namespace, object: object, options: .system)
            switch result.body {
            case .bytes(let buffer): return try JSONValue(parsing: buffer)
            case .json(let value): return value
            }
        } catch let status as APIStatus {
            throw SandboxError(.seed, "seed \(plural) failed: \(status.message)")
        }
    }
}
