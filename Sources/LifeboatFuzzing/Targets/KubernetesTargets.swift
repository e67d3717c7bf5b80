import Kubernetes

/// Kubernetes inputs: kubeconfig files and the string forms of label and field selectors (`-l`, `--selector`,
/// watch and list parameters the sandbox receives).
enum KubernetesTargets {
    static let kubeconfig = FuzzTarget(
        name: "kubeconfig",
        summary: "kubeconfig YAML, parsed and resolved to a context",
        defaultRuns: 5_000,
        mutator: Mutator(
            textAware: true,
            yamlAware: true,
            dictionary: ConfigMapTargets.yamlDictionary + [
                "clusters:", "cluster:", "server: ", "https://", "http://[::1", "certificate-authority-data: ",
                "insecure-skip-tls-verify: ", "contexts:", "context:", "users:", "user:", "current-context: ",
                "namespace: ", "token: ", "exec:", "apiVersion: client.authentication.k8s.io/v1", "command: ", "args: ",
                "env: ", "client-certificate-data: ", "client-key-data: ", "name: ", "====", "AAAA",
            ]
        ),
        corpus: { [Array(sampleKubeconfig.utf8), Array(jsonKubeconfig.utf8)] },
        run: { input in
            // A folder that does not exist, so that relative file references cannot reach real files.
            let path = "/nonexistent-lifeboat-fuzz/kubeconfig"
            let file = try KubeConfigFile.parse(String(decoding: input, as: UTF8.self), path: path)
            _ = try KubeConfig.resolve(file)
        }
    )

    static let sampleKubeconfig = """
        apiVersion: v1
        kind: Config
        current-context: sandbox
        preferences: {}
        clusters:
        - name: sandbox
          cluster:
            server: https://127.0.0.1:6443
            certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUI=
            tls-server-name: localhost
        - name: other
          cluster: {server: "http://localhost:8080", insecure-skip-tls-verify: true}
        contexts:
        - name: sandbox
          context: {cluster: sandbox, user: admin, namespace: velero}
        - name: other
          context: {cluster: other, user: exec-user}
        users:
        - name: admin
          user:
            token: abc.def.ghi
            client-certificate-data: LS0tLS1CRUdJTg==
            client-key-data: LS0tLS1CRUdJTg==
        - name: exec-user
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1
              command: /usr/local/bin/get-token
              args: ["--cluster", "other"]
              env: [{name: A, value: b}]
              interactiveMode: Never
        """

    static let jsonKubeconfig = #"""
        {"apiVersion":"v1","kind":"Config","current-context":"c","clusters":[{"name":"k","cluster":{
        "server":"https://10.0.0.1"}}],"contexts":[{"name":"c","context":{"cluster":"k","user":"u"}}],
        "users":[{"name":"u","user":{"username":"admin","password":"secret"}}]}
        """#

    static let labelSelector = FuzzTarget(
        name: "label-selector",
        summary: "label selector text (-l), parsed, matched and printed back",
        defaultRuns: 10_000,
        mutator: Mutator(
            maximumSize: 64 << 10,
            textAware: true,
            dictionary: [
                " in ", " notin ", "(", ")", ",", "!", "=", "==", "!=", " ", "app", "example.com/tier", "a.b-c_d",
                String(repeating: "x", count: 64), String(repeating: "y", count: 254) + "/", "9", "-", "_", ".",
            ]
        ),
        corpus: {
            [
                "app=web", "app in (web,db),tier notin (cache),!legacy,env!=prod", "example.com/team==payments",
                "a,b,c", "", "k in (a)", "x=",
            ].map { Array($0.utf8) }
        },
        run: { input in
            let selector = try LabelSelector(parsing: String(decoding: input, as: UTF8.self))
            _ = selector.matches(["app": "web", "tier": "db", "env": "dev"])
            _ = try LabelSelector(parsing: selector.description)
        }
    )

    static let pod = KubeObject(
        ["metadata": ["name": "web"], "status": ["phase": "Running"], "spec": ["replicas": 1]] as JSONObject
    )

    static let fieldSelector = FuzzTarget(
        name: "field-selector",
        summary: "field selector text (--field-selector), parsed, matched and printed back",
        defaultRuns: 8_000,
        mutator: Mutator(
            maximumSize: 64 << 10,
            textAware: true,
            dictionary: [
                "metadata.name", "metadata.namespace", "status.phase", "spec.nodeName", "=", "==", "!=",
                ",", "\\", "\\,", "\\=", "\\\\", " ", ".",
            ]
        ),
        corpus: {
            ["metadata.name=web", "status.phase!=Running,spec.nodeName==node1", "metadata.name=a\\,b\\=c", ""]
                .map { Array($0.utf8) }
        },
        run: { input in
            let selector = try FieldSelector(parsing: String(decoding: input, as: UTF8.self))
            _ = selector.matches(pod)
            _ = try FieldSelector(parsing: selector.description)
        }
    )
}
