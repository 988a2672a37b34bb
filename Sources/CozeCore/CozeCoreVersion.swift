public enum CozeCoreVersion { public static let string = "0.1.0" }
