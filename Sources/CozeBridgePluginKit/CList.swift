import CozeBridgeHeaders

/// The core's list structs (`count` and `items`), copied into Swift arrays by one function.
protocol CList {
    associatedtype Item
    var count: Int { get }
    var items: UnsafePointer<Item>! { get }
}

extension coze_conversation_list: CList {}
extension coze_bot_status_list: CList {}
extension coze_keepalive_report: CList {}

extension HostAPI {
    /// Calls `get` for a list, copies its items with `transform`, and releases it with `release`.
    func copyList<List: CList, Element>(
        _ get: (inout UnsafeMutablePointer<List>?) -> Int32,
        release: (UnsafeMutablePointer<List>?) -> Void,
        _ transform: (List.Item) -> Element
    ) throws(CozeError) -> [Element] {
        var list: UnsafeMutablePointer<List>?
        try check(get(&list))
        guard let list else { return [] }
        defer { release(list) }
        return CString.buffer(list.pointee.items, count: list.pointee.count).map(transform)
    }
}
