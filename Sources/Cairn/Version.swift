/// This release of Cairn, as `cairn --version` prints it; raise it with every release.
public enum CairnRelease {
    public static let version = "0.3.0"
}
