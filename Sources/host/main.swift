// The cozebridge host: loads libcozebridge and the frontend plugins named in Config.yml.
// It is built once the plugin ABI exists; until then it only says so.
import Foundation

FileHandle.standardError.write(Data("cozebridge host: not built yet; run `make run` for the Discord emulator\n".utf8))
exit(64)
