namespace Kargo.Airgap.Registry;

/// <summary>The container runtimes a Kargo node may pull with, each with its own mirror configuration.</summary>
public enum NodeRuntime { K3s, Containerd, Microk8s, Crio, Talos }

/// <summary>Which runtime a node has, from the files it leaves (Talos, with no shell to run on, is never guessed).</summary>
public static class NodeRuntimes
{
    public static NodeRuntime Parse(string value) => value.ToLowerInvariant() switch
    {
        "k3s" => NodeRuntime.K3s,
        "containerd" => NodeRuntime.Containerd,
        "microk8s" => NodeRuntime.Microk8s,
        "crio" or "cri-o" or "podman" => NodeRuntime.Crio,
        "talos" => NodeRuntime.Talos,
        _ => throw new KargoException($"--for '{Terminal.Printable(value)}' is not a runtime kargo writes mirrors for: k3s, containerd, microk8s, crio (also podman) or talos"),
    };

    /// <summary>The runtime whose files are under <paramref name="root"/>, k3s first (it carries its own containerd); null when none is.</summary>
    public static NodeRuntime? Detect(string root)
    {
        bool Has(string path) => Path.Exists(Path.Combine(root, path));
        return Has("etc/rancher/k3s") || Has("usr/local/bin/k3s") ? NodeRuntime.K3s
            : Has("var/snap/microk8s") ? NodeRuntime.Microk8s
            : Has("etc/crio") || Has("usr/bin/crio") ? NodeRuntime.Crio
            : Has("etc/containerd") ? NodeRuntime.Containerd
            : null;
    }
}
