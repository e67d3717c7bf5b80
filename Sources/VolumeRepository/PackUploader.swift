import Synchronization

/// Uploads the data packs a backup fills, one after another, in a task of its own.
///
/// An upload mostly waits on the store (the write and fsync of a local folder, or the network), so file
/// work hands each full pack over and goes on instead of holding its read slot through the wait. At most
/// `capacity` packs wait while one uploads; a file that fills a pack beyond that waits for room, so memory
/// stays bounded. After an upload fails, every later `send` throws that error.
final class PackUploader: Sendable {
    private struct State {
        var pending: [SealedPack] = []
        var closed = false
        var failure: (any Error)?
        var senders: [CheckedContinuation<Void, Never>] = []
        var receiver: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 1) { self.capacity = max(1, capacity) }

    private enum SendOutcome {
        case sent(CheckedContinuation<Void, Never>?)
        case full
        case failed(any Error)
    }

    /// Hands a full pack to the upload task, waiting while `capacity` packs already wait.
    func send(_ pack: consuming SealedPack) async throws {
        var held: SealedPack? = consume pack
        while true {
            let outcome = state.withLock { s -> SendOutcome in
                if let failure = s.failure { return .failed(failure) }
                guard s.pending.count < capacity, let pack = held else { return .full }
                // Moved, not copied: the pack's buffer must stay uniquely referenced to be recycled.
                held = nil
                s.pending.append(pack)
                defer { s.receiver = nil }
                return .sent(s.receiver)
            }
            switch outcome {
            case .failed(let error): throw error
            case .sent(let receiver):
                receiver?.resume()
                return
            case .full:
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let now = state.withLock { s -> Bool in
                        if s.pending.count < capacity || s.failure != nil { return true }
                        s.senders.append(c)
                        return false
                    }
                    if now { c.resume() }
                }
            }
        }
    }

    /// No more packs will be sent; `run` returns once those already sent are uploaded.
    func close() {
        let receiver = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.closed = true
            defer { s.receiver = nil }
            return s.receiver
        }
        receiver?.resume()
    }

    /// Uploads packs as they come until `close()`; rethrows the first failed upload.
    func run(into repo: Repository) async throws {
        while let pack = await receive() {
            do {
                try await repo.upload(consume pack)
            } catch {
                let senders = state.withLock { s -> [CheckedContinuation<Void, Never>] in
                    s.failure = error
                    defer { s.senders = [] }
                    return s.senders
                }
                for c in senders { c.resume() }
                throw error
            }
        }
    }

    private enum ReceiveOutcome {
        case pack(SealedPack, [CheckedContinuation<Void, Never>])
        case closed
        case empty
    }

    /// The next pack, or nil once closed and drained.
    private func receive() async -> SealedPack? {
        while true {
            let outcome = state.withLock { s -> ReceiveOutcome in
                if !s.pending.isEmpty {
                    // Every waiting sender tries again: one finds room, the others wait again.
                    defer { s.senders = [] }
                    return .pack(s.pending.removeFirst(), s.senders)
                }
                return s.closed ? .closed : .empty
            }
            switch outcome {
            case .pack(let pack, let senders):
                for c in senders { c.resume() }
                return pack
            case .closed:
                return nil
            case .empty:
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let now = state.withLock { s -> Bool in
                        if !s.pending.isEmpty || s.closed { return true }
                        s.receiver = c
                        return false
                    }
                    if now { c.resume() }
                }
            }
        }
    }
}
