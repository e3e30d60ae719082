// The tests start Linux programs (docker-registry, skopeo, containerd) and check Unix file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
