import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

@testable import KubeSandbox

/// The real kubectl (v1.32, found on PATH) against a sandbox over HTTPS with its kubeconfig.
struct KubectlTests {
    struct Kubectl {
        let executable: URL
        let directory: URL

        static func locate() throws -> URL {
            URL(fileURLWithPath: try ChildProcess.find("kubectl"))
        }

        /// The kubeconfig and cache flags, then `arguments`.
        func fullArguments(_ arguments: [String]) -> [String] {
            [
                "--kubeconfig", directory.appendingPathComponent("kubeconfig").path,
                "--cache-dir", directory.appendingPathComponent("cache").path,
            ] + arguments
        }

        /// Environment of its own: HOME in the test's folder.
        var environment: [String: String] { ["HOME": directory.path, "PATH": "/usr/bin:/bin"] }

        func start(_ arguments: [String]) throws -> (Process, Pipe, Pipe) {
            let process = Process()
            process.executableURL = executable
            process.arguments = fullArguments(arguments)
            process.environment = environment
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            return (process, out, err)
        }

        @discardableResult
        func run(
            _ arguments: String...,
            expectSuccess: Bool = true,
            sourceLocation: SourceLocation = #_sourceLocation
        )
            async throws -> String
        {
            let result = try await ChildProcess.run(
                executable.path,
                fullArguments(arguments),
                environment: environment,
                inheritEnvironment: false,
                timeout: .seconds(90)
            )
            if expectSuccess {
                #expect(
                    result.status == 0,
                    "kubectl \(arguments.joined(separator: " ")): \(result.stderr)",
                    sourceLocation: sourceLocation
                )
            }
            return result.stdout + result.stderr
        }
    }

    static let manifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: demo
          labels: {app: web}
        spec:
          replicas: 1
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: web
                image: nginx:1.27
                ports:
                - containerPort: 80
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          namespace: demo
        spec:
          selector: {app: web}
          ports:
          - port: 80
            targetPort: 80
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: app-config
          namespace: demo
        data:
          color: COLOR
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: app-secret
          namespace: demo
        stringData:
          password: s3cret
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: app-data
          namespace: demo
        spec:
          accessModes: [ReadWriteOnce]
          resources:
            requests:
              storage: 1Gi
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: x-pod
          namespace: demo
          labels: {app: x}
        spec:
          containers:
          - name: c
            image: busybox
        ---
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: gadgets.example.com
        spec:
          group: example.com
          scope: Namespaced
          names: {plural: gadgets, singular: gadget, kind: Gadget}
          versions:
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                x-kubernetes-preserve-unknown-fields: true
        """

    static let customResource = """
        apiVersion: example.com/v1
        kind: Gadget
        metadata:
          name: g1
          namespace: demo
        spec:
          size: 2
        """

    @Test func kubectlWorksUnmodified() async throws {
        try await withTemporaryDirectory(prefix: "sandbox-test") { directory in
            let kubectl = Kubectl(executable: try Kubectl.locate(), directory: directory)
            try await withTestSandbox(nodes: 2) { sandbox, _ in
                try sandbox.writeKubeconfig(to: directory.appendingPathComponent("kubeconfig").path)
                let manifest = directory.appendingPathComponent("app.yaml")
                let cr = directory.appendingPathComponent("cr.yaml")
                try Self.manifest.replacingOccurrences(of: "COLOR", with: "blue").write(
                    to: manifest,
                    atomically: true,
                    encoding: .utf8
                )
                try Self.customResource.write(to: cr, atomically: true, encoding: .utf8)

                let version = try await kubectl.run("version", "-o", "json")
                #expect(version.contains("v1.32.0-lifeboat-sandbox"))
                let resources = try await kubectl.run("api-resources")
                #expect(
                    resources.contains("deployments") && resources.contains("backups")
                        && resources.contains("volumesnapshots")
                )
                #expect(try await kubectl.run("create", "ns", "demo").contains("namespace/demo created"))

                let applied = try await kubectl.run("apply", "-f", manifest.path)
                for line in [
                    "deployment.apps/web created", "service/web created", "configmap/app-config created",
                    "secret/app-secret created",
                    "persistentvolumeclaim/app-data created",
                    "customresourcedefinition.apiextensions.k8s.io/gadgets.example.com created",
                ] {
                    #expect(applied.contains(line), "\(applied)")
                }
                #expect(try await kubectl.run("apply", "-f", cr.path).contains("gadget.example.com/g1 created"))
                let again = try await kubectl.run("apply", "-f", manifest.path)
                #expect(
                    again.contains("configmap/app-config unchanged") && again.contains("deployment.apps/web unchanged"),
                    "\(again)"
                )
                try Self.manifest.replacingOccurrences(of: "COLOR", with: "green").write(
                    to: manifest,
                    atomically: true,
                    encoding: .utf8
                )
                let changed = try await kubectl.run("apply", "-f", manifest.path)
                #expect(changed.contains("configmap/app-config configured"), "\(changed)")
                #expect(changed.contains("service/web unchanged"), "\(changed)")

                let all = try await kubectl.run("get", "all", "-n", "demo")
                #expect(
                    all.contains("deployment.apps/web") && all.contains("service/web") && all.contains("pod/x-pod"),
                    "\(all)"
                )
                let json = try JSONValue(parsing: try await kubectl.run("get", "cm", "-n", "demo", "-o", "json"))
                let names = (json["items"]?.arrayValue ?? []).compactMap { $0["metadata"]?["name"]?.stringValue }
                #expect(names.contains("app-config"))
                #expect(
                    json["items"]?.arrayValue?.first { $0["metadata"]?["name"] == "app-config" }?["data"]?["color"]
                        == "green"
                )
                let pods = try await kubectl.run("get", "pods", "-l", "app=x", "-n", "demo")
                #expect(pods.contains("x-pod") && pods.contains("READY"), "\(pods)")
                #expect(try await kubectl.run("label", "cm", "app-config", "-n", "demo", "team=a").contains("labeled"))
                #expect(
                    try await kubectl.run("annotate", "cm", "app-config", "-n", "demo", "note=hi").contains("annotated")
                )
                #expect(
                    try await kubectl.run(
                        "patch",
                        "cm",
                        "app-config",
                        "-n",
                        "demo",
                        "--type",
                        "merge",
                        "-p",
                        #"{"data":{"size":"L"}}"#
                    ).contains("patched")
                )
                let patched = try await kubectl.run(
                    "get",
                    "cm",
                    "app-config",
                    "-n",
                    "demo",
                    "-o",
                    "jsonpath={.data.size},{.metadata.labels.team}"
                )
                #expect(patched == "L,a")

                let (watcher, out, _) = try kubectl.start([
                    "get", "cm", "-n", "demo", "--watch", "--request-timeout=10s",
                ])
                try await Task.sleep(for: .milliseconds(700))
                try await kubectl.run("create", "cm", "watched-cm", "-n", "demo", "--from-literal=k=v")
                try await Task.sleep(for: .milliseconds(700))
                watcher.terminate()
                watcher.waitUntilExit()
                let watched = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                #expect(watched.contains("watched-cm"), "\(watched)")

                let deleted = try await kubectl.run("delete", "-f", manifest.path)
                #expect(deleted.contains("configmap \"app-config\" deleted"), "\(deleted)")
                #expect(try await kubectl.run("delete", "ns", "demo").contains("namespace \"demo\" deleted"))
                let gone = try await kubectl.run("get", "ns", "demo", expectSuccess: false)
                #expect(gone.contains("NotFound") || gone.contains("not found"), "\(gone)")
            }
        }
    }
}
