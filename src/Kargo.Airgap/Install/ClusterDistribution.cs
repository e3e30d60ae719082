using Kargo.Airgap.Bundle;
using Kargo.Airgap.Install.Steps;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Install;

/// <summary>The Kubernetes distribution a bundle installs (spec.cluster), and where each keeps its kubeconfig.</summary>
public enum ClusterDistribution
{
    /// <summary>The bundle carries no cluster: the platform goes to the cluster of --kubeconfig.</summary>
    None,
    K3s,
    Microk8s,
}

public static class ClusterDistributions
{
    public static ClusterDistribution Of(Inventory inventory)
    {
        var names = inventory.Components?.Select(c => c.Name).ToList() ?? [];
        return names.Contains(ComponentNames.K3s) ? ClusterDistribution.K3s : names.Contains(ComponentNames.Microk8s) ? ClusterDistribution.Microk8s : ClusterDistribution.None;
    }

    /// <summary>The kubeconfig the distribution leaves on the node; none when the bundle carries no cluster.</summary>
    public static string? Kubeconfig(this ClusterDistribution distribution) => distribution switch
    {
        ClusterDistribution.K3s => K3sFiles.Kubeconfig,
        ClusterDistribution.Microk8s => Microk8sFiles.Kubeconfig,
        _ => null,
    };

    /// <summary>How to reach the cluster from a shell on the node.</summary>
    public static string Kubectl(this ClusterDistribution distribution) => distribution switch
    {
        ClusterDistribution.K3s => "sudo k3s kubectl",
        ClusterDistribution.Microk8s => "sudo microk8s kubectl",
        _ => "kubectl",
    };
}
