import CSQLite

/// A failed SQLite call: the result code and SQLite's own message, plus what we were doing.
public struct SQLiteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The extended result code (for example `SQLITE_CONSTRAINT_UNIQUE`, 2067).
    public let extendedCode: Int32
    /// SQLite's message for the failure (`sqlite3_errmsg`), or ours when SQLite has none.
    public let message: String
    /// The statement or step that failed, so a log line can be acted on without a debugger.
    public let context: String

    /// The primary result code (`extendedCode & 0xFF`), for example `SQLITE_CONSTRAINT`.
    public var code: Int32 { extendedCode & 0xFF }

    public init(extendedCode: Int32, message: String, context: String) {
        self.extendedCode = extendedCode
        self.message = message
        self.context = context
    }

    public var description: String {
        "SQLite error \(extendedCode) (\(message)) in: \(context)"
    }
}

/// A value bound to a statement parameter.
package enum SQLiteValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// One result row, valid only inside the closure it is handed to.
package struct SQLiteRow: ~Copyable {
    fileprivate let statement: OpaquePointer

    package func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(statement, column) == SQLITE_NULL
    }

    package func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(statement, column)
    }

    package func optionalInt64(_ column: Int32) -> Int64? {
        isNull(column) ? nil : int64(column)
    }

    package func text(_ column: Int32) -> String {
        // sqlite3_column_text before sqlite3_column_bytes: the byte count refers to the UTF-8
        // form that the first call produced.
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    package func optionalText(_ column: Int32) -> String? {
        isNull(column) ? nil : text(column)
    }

    package func blob(_ column: Int32) -> [UInt8] {
        guard let bytes = sqlite3_column_blob(statement, column) else { return [] }
        let count = Int(sqlite3_column_bytes(statement, column))
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    package func optionalBlob(_ column: Int32) -> [UInt8]? {
        isNull(column) ? nil : blob(column)
    }
}

/// One SQLite connection with the settings the bridge relies on, and a cache of prepared
/// statements so that hot lookups skip SQL parsing.
///
/// Not thread-safe on its own, on purpose: the owner serializes every call (see
/// ``ConversationStore``), which lets the connection be opened with `SQLITE_OPEN_NOMUTEX` and
/// avoids paying for SQLite's internal mutex twice.
package final class SQLiteDatabase {
    /// How long a statement waits for another process's write lock before failing with
    /// `SQLITE_BUSY`. Only an operator's `cozebridge-store` next to a running host contends.
    package static let defaultBusyTimeoutMilliseconds: Int32 = 5_000

    /// The file this connection has open.
    package let path: String
    private let connection: OpaquePointer
    private var statementCache: [String: OpaquePointer] = [:]

    /// Opens (creating if needed) the database at `path` in WAL mode with `synchronous=FULL`,
    /// foreign keys on, and a busy timeout.
    ///
    /// WAL lets readers in other processes (an operator's `cozebridge-store list`) run while the
    /// bridge writes, and makes a commit a single append. `synchronous=FULL` adds an fsync of the
    /// WAL on every commit: `NORMAL` would already survive a killed process, but could lose the
    /// last commits on power loss or a kernel crash, and a lost name → channel row means an
    /// orphaned Discord channel and a conversation that silently forgets its context. A commit
    /// happens once or twice per Coze turn, which takes seconds, so the fsync costs nothing that
    /// matters. Reads never fsync.
    package init(path: String, busyTimeoutMilliseconds: Int32 = defaultBusyTimeoutMilliseconds) throws(SQLiteError) {
        self.path = path
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_close_v2(handle)
            throw SQLiteError(extendedCode: status, message: message, context: "open \(path)")
        }
        connection = handle
        sqlite3_extended_result_codes(connection, 1)
        sqlite3_busy_timeout(connection, busyTimeoutMilliseconds)
        do throws(SQLiteError) {
            let journalMode = try singleText("PRAGMA journal_mode=WAL")
            guard journalMode.lowercased() == "wal" else {
                throw SQLiteError(
                    extendedCode: SQLITE_CANTOPEN,
                    message: "the file system refused write-ahead logging (journal mode is \(journalMode))",
                    context: "open \(path)"
                )
            }
            try execute("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
        } catch {
            // No close here: self is fully initialized, so deinit runs and closes the connection.
            throw error
        }
    }

    deinit {
        for statement in statementCache.values {
            sqlite3_finalize(statement)
        }
        sqlite3_close_v2(connection)
    }

    /// Runs one or more statements that take no parameters and return no rows we need.
    package func execute(_ sql: String) throws(SQLiteError) {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(connection, sql, nil, nil, &message)
        guard status == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? currentMessage()
            sqlite3_free(message)
            throw SQLiteError(extendedCode: sqlite3_extended_errcode(connection), message: text, context: sql)
        }
    }

    /// Runs a statement that returns no rows; returns how many rows it changed.
    @discardableResult
    package func run(_ sql: String, _ parameters: [SQLiteValue] = []) throws(SQLiteError) -> Int {
        let statement = try prepared(sql)
        defer { release(statement) }
        try bind(parameters, to: statement, sql: sql)
        while try step(statement, sql: sql) {}
        return Int(sqlite3_changes(connection))
    }

    /// Runs a query and maps every row.
    package func query<Row>(
        _ sql: String,
        _ parameters: [SQLiteValue] = [],
        row makeRow: (borrowing SQLiteRow) -> Row
    ) throws(SQLiteError) -> [Row] {
        let statement = try prepared(sql)
        defer { release(statement) }
        try bind(parameters, to: statement, sql: sql)
        var rows: [Row] = []
        while try step(statement, sql: sql) {
            rows.append(makeRow(SQLiteRow(statement: statement)))
        }
        return rows
    }

    /// Runs a query and maps its first row, if any.
    package func queryFirst<Row>(
        _ sql: String,
        _ parameters: [SQLiteValue] = [],
        row makeRow: (borrowing SQLiteRow) -> Row
    ) throws(SQLiteError) -> Row? {
        let statement = try prepared(sql)
        defer { release(statement) }
        try bind(parameters, to: statement, sql: sql)
        guard try step(statement, sql: sql) else { return nil }
        return makeRow(SQLiteRow(statement: statement))
    }

    /// The row id of the last successful INSERT on this connection.
    package var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(connection) }

    /// `PRAGMA user_version`: the schema version the store wrote into the file header.
    package func userVersion() throws(SQLiteError) -> Int32 {
        let value = try queryFirst("PRAGMA user_version") { $0.int64(0) } ?? 0
        return Int32(truncatingIfNeeded: value)
    }

    /// Begins a write transaction that takes the write lock at once, so it can never fail
    /// half-way with a lock upgrade conflict (`SQLITE_BUSY_SNAPSHOT`) after reading.
    package func beginImmediate() throws(SQLiteError) {
        try run("BEGIN IMMEDIATE")
    }

    package func commit() throws(SQLiteError) {
        try run("COMMIT")
    }

    /// Rolls back if a transaction is open; never throws, because it runs on error paths.
    package func rollbackQuietly() {
        if sqlite3_get_autocommit(connection) == 0 {
            sqlite3_exec(connection, "ROLLBACK", nil, nil, nil)
        }
    }

    /// `PRAGMA integrity_check`: `["ok"]` for a sound file, otherwise SQLite's findings.
    package func integrityCheck() throws(SQLiteError) -> [String] {
        try query("PRAGMA integrity_check") { $0.text(0) }
    }

    // MARK: - Statements

    private func prepared(_ sql: String) throws(SQLiteError) -> OpaquePointer {
        if let cached = statementCache[sql] {
            return cached
        }
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else {
            throw SQLiteError(extendedCode: sqlite3_extended_errcode(connection), message: currentMessage(), context: sql)
        }
        statementCache[sql] = statement
        return statement
    }

    /// Resets a cached statement so that it releases its read snapshot and holds no bound text.
    private func release(_ statement: OpaquePointer) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    private func bind(_ parameters: [SQLiteValue], to statement: OpaquePointer, sql: String) throws(SQLiteError) {
        for (offset, value) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .null:
                status = sqlite3_bind_null(statement, index)
            case .integer(let number):
                status = sqlite3_bind_int64(statement, index, number)
            case .real(let number):
                status = sqlite3_bind_double(statement, index, number)
            case .text(let string):
                // Bound with an explicit byte count so text with NUL characters survives; an
                // empty buffer may have no base address, which SQLite would read as NULL.
                var string = string
                status = string.withUTF8 { utf8 in
                    guard let base = utf8.baseAddress, !utf8.isEmpty else {
                        return sqlite3_bind_text(statement, index, "", 0, sqliteTransient)
                    }
                    return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                        sqlite3_bind_text(statement, index, $0, Int32(utf8.count), sqliteTransient)
                    }
                }
            case .blob(let bytes):
                status = bytes.withUnsafeBytes { raw in
                    guard let base = raw.baseAddress, !raw.isEmpty else {
                        return sqlite3_bind_zeroblob(statement, index, 0)
                    }
                    return sqlite3_bind_blob(statement, index, base, Int32(raw.count), sqliteTransient)
                }
            }
            guard status == SQLITE_OK else {
                throw SQLiteError(extendedCode: status, message: currentMessage(), context: sql)
            }
        }
    }

    /// Steps once: `true` when a row is ready, `false` when the statement is done.
    private func step(_ statement: OpaquePointer, sql: String) throws(SQLiteError) -> Bool {
        switch sqlite3_step(statement) {
        case SQLITE_ROW:
            return true
        case SQLITE_DONE:
            return false
        default:
            throw SQLiteError(extendedCode: sqlite3_extended_errcode(connection), message: currentMessage(), context: sql)
        }
    }

    private func singleText(_ sql: String) throws(SQLiteError) -> String {
        try queryFirst(sql) { $0.text(0) } ?? ""
    }

    private func currentMessage() -> String {
        String(cString: sqlite3_errmsg(connection))
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies bound text and blobs before the call returns, so Swift
/// buffers may go away right after binding. The C macro is a cast Swift cannot import.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
