/// Paths as a tree of components, each node holding a state the caller defines: a
/// lookup costs one step per component, so a deeply nested tree is walked in time
/// linear in its size (a dictionary of whole paths would hash every parent again).
/// Used to choose which entries of stacked images or layers survive.
public struct PathTree<State> {
    private struct Key: Hashable {
        var parent: Int
        var name: ArraySlice<UInt8>
    }
    private var children: [Key: Int] = [:]
    private var states: [State]

    /// The root node (index 0) holds `root`.
    public init(root: State) {
        states = [root]
    }

    /// The node at `components` (path components below the root, none empty).
    ///
    /// Walks from the root; `allowsDescent` sees the state of each existing ancestor
    /// (never the root's or the final node's) and stops the walk by returning false,
    /// which gives nil. Missing ancestors are created holding `intermediate`, a missing
    /// final node holding `leaf`. Returns the final node and whether it existed.
    public mutating func node(
        at components: [ArraySlice<UInt8>], intermediate: State, leaf: State,
        allowsDescent: (State) -> Bool
    ) -> (index: Int, existed: Bool)? {
        var node = 0
        for (position, name) in components.enumerated() {
            let key = Key(parent: node, name: name)
            let isLast = position == components.count - 1
            if let child = children[key] {
                if isLast { return (child, true) }
                guard allowsDescent(states[child]) else { return nil }
                node = child
            } else {
                states.append(isLast ? leaf : intermediate)
                children[key] = states.count - 1
                node = states.count - 1
                if isLast { return (node, false) }
            }
        }
        return (0, true)
    }

    /// A node's state.
    public subscript(node: Int) -> State {
        get { states[node] }
        set { states[node] = newValue }
    }

    /// The components of a slash-separated path, empty ones (doubled or trailing
    /// slashes) left out.
    public static func components(_ path: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
    }
}
