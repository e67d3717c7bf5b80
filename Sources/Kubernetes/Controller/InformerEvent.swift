/// A change an ``Informer`` applied to its cache, handed to its handlers and ``Informer/changes()``.
///
/// Like client-go's `ResourceEventHandler`: a periodic resync and a relist that finds an object unchanged
/// hand it over as ``updated(old:new:)`` with `old == new`; a relist that no longer finds an object hands
/// over ``deleted(_:)`` with the last version the cache held.
public enum InformerEvent: Sendable, Hashable {
    case added(KubeObject)
    case updated(old: KubeObject, new: KubeObject)
    case deleted(KubeObject)

    /// The object as it is now (the last known version for a deletion).
    public var object: KubeObject {
        switch self {
        case .added(let object), .deleted(let object): object
        case .updated(_, let new): new
        }
    }

    /// The key of the object (nil when it has no name).
    public var key: NamespacedName? { NamespacedName(object) }
}
