import KubeSandbox
import KubeSandboxTesting
import Kubernetes
import ServiceLifecycleTestKit
import Testing

/// The controller service against a sandbox: every object reconciled, errors requeued, graceful shutdown.
struct ControllerTests {
    /// Records each reconcile; fails a key's first `failures[key]` reconciles; blocks keys in `blocked` until
    /// `release` is set.
    struct RecordingReconciler: Reconciler {
        struct State: Sendable {
            var reconciled: [NamespacedName: Int] = [:]
            var failures: [String: Int] = [:]
            var blocked: Set<String> = []
            var inFlight: Set<String> = []
            var finished: [String] = []
            var cancelled: [String] = []
        }
        let state: Box<State>

        func reconcile(_ key: NamespacedName) async throws -> ReconcileResult {
            let fail = state.update { s in
                s.reconciled[key, default: 0] += 1
                guard let left = s.failures[key.name], left > 0 else { return false }
                s.failures[key.name] = left - 1
                return true
            }
            if fail { throw KubeError(code: .conflict, message: "injected") }
            if state.get.blocked.contains(key.name) {
                state.update { _ = $0.inFlight.insert(key.name) }
                while state.get.blocked.contains(key.name) && !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(10))
                }
                state.update { s in
                    if Task.isCancelled { s.cancelled.append(key.name) } else { s.finished.append(key.name) }
                }
            }
            return .done
        }
    }

    func makeController(
        _ client: KubeClient,
        _ reconciler: RecordingReconciler,
        workers: Int = 2
    ) -> Controller<RecordingReconciler, ContinuousClock> {
        let informer = Informer(
            client: client,
            configuration: .init(resource: .configMaps, namespace: "default"),
            logger: .quiet
        )
        return Controller(
            informer: informer,
            reconciler: reconciler,
            configuration: .init(name: "test", workers: workers, backoff: .init(base: .milliseconds(5))),
            logger: .quiet
        )
    }

    @Test func reconcilesEveryObjectAndRequeuesErrors() async throws {
        try await withSandbox { _, client in
            for name in ["a", "b", "c"] { _ = try await client.create(.configMaps, testConfigMap(name)) }
            let state = Box(RecordingReconciler.State(failures: ["b": 3]))
            let controller = makeController(client, RecordingReconciler(state: state))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await controller.run() }
                defer { group.cancelAll() }
                try await waitUntil("a, b and c are reconciled") {
                    let reconciled = state.get.reconciled
                    return ["a", "c"].allSatisfy { reconciled[NamespacedName(namespace: "default", name: $0)] != nil }
                        && reconciled[NamespacedName(namespace: "default", name: "b")] == 4
                }
                // A change after the start is reconciled too.
                _ = try await client.create(.configMaps, testConfigMap("d"))
                try await waitUntil("d is reconciled") {
                    state.get.reconciled[NamespacedName(namespace: "default", name: "d")] != nil
                }
                #expect(controller.queue.failures(of: NamespacedName(namespace: "default", name: "b")) == 0)
            }
        }
    }

    @Test func gracefulShutdownLetsReconcilesUnderWayFinish() async throws {
        try await withSandbox { _, client in
            _ = try await client.create(.configMaps, testConfigMap("slow"))
            let state = Box(RecordingReconciler.State(blocked: ["slow"]))
            let controller = makeController(client, RecordingReconciler(state: state))
            try await testGracefulShutdown { trigger in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await controller.run() }
                    try await waitUntil("slow is being reconciled") { state.get.inFlight.contains("slow") }
                    trigger.triggerGracefulShutdown()
                    try await waitUntil("the queue is shut down") { controller.queue.isShutDown }
                    state.update { _ = $0.blocked.remove("slow") }
                    try await group.waitForAll()  // run() returns once the reconcile under way is done
                }
            }
            #expect(state.get.finished == ["slow"])
            #expect(state.get.cancelled.isEmpty)
        }
    }

    @Test func cancellationCancelsReconcilesUnderWay() async throws {
        try await withSandbox { _, client in
            _ = try await client.create(.configMaps, testConfigMap("stuck"))
            let state = Box(RecordingReconciler.State(blocked: ["stuck"]))
            let controller = makeController(client, RecordingReconciler(state: state))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await controller.run() }
                try await waitUntil("stuck is being reconciled") { state.get.inFlight.contains("stuck") }
                group.cancelAll()
                try await group.waitForAll()
            }
            #expect(state.get.cancelled == ["stuck"])
            #expect(controller.queue.isShutDown)
        }
    }
}
