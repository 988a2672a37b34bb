/// The bridge's own HTTP/HTTPS API listeners.
public struct APIServerConfiguration: Sendable, Hashable {
    /// Plain HTTP port on all interfaces (`APIPort`); `nil` when the file says `0` (disabled).
    public var httpPort: Int?
    /// HTTPS port (`APISSLPort`); `nil` when `0` or absent (disabled).
    public var httpsPort: Int?
    /// The seed's Java keystore for HTTPS (`APISSL_keyStorePath`). Convert it to PEM for
    /// cozebridge (see docs/configuration.md); it is kept so the host can say so.
    public var keyStorePath: String?
    /// Password of that keystore and its key (`APISSL_keyStorePassword`).
    public var keyStorePassword: String?
    /// PEM certificate chain for HTTPS (`APISSL_certificatePath`, additive).
    public var certificatePath: String?
    /// PEM private key for HTTPS (`APISSL_privateKeyPath`, additive).
    public var privateKeyPath: String?
    /// Upper bound on requests handled at once (`APIMaxThread`).
    public var maxConcurrentRequests: Int
    /// Which remote addresses may call the API (`API_IP_WhiteList`, `API_IP_WhiteList_IPs`).
    public var ipWhitelist: IPWhitelist

    public init(
        httpPort: Int? = 8092,
        httpsPort: Int? = nil,
        keyStorePath: String? = nil,
        keyStorePassword: String? = nil,
        certificatePath: String? = nil,
        privateKeyPath: String? = nil,
        maxConcurrentRequests: Int = 10,
        ipWhitelist: IPWhitelist = IPWhitelist()
    ) {
        self.httpPort = httpPort
        self.httpsPort = httpsPort
        self.keyStorePath = keyStorePath
        self.keyStorePassword = keyStorePassword
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.maxConcurrentRequests = maxConcurrentRequests
        self.ipWhitelist = ipWhitelist
    }
}
