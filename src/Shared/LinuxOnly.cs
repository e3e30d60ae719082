// Both programs run on Linux (the builder on a connected Linux host, kargo-offline on the node):
// they set Unix file modes, and kargo-offline installs systemd units and k3s.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
