// Kargo targets Linux hosts and nodes: file modes, systemd, k3s and containerd are all Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
