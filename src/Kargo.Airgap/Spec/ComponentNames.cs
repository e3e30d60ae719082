namespace Kargo.Airgap.Spec;

/// <summary>The platform components a spec asks for by version (their spec keys, inventory names and image component), and the VM disks' component.</summary>
public static class ComponentNames
{
    public const string K3s = "k3s";
    public const string Microk8s = "microk8s";
    public const string KubeVirt = "kubevirt";
    public const string Cdi = "cdi";

    /// <summary>The component of a containerDisk built from spec.vmImages.</summary>
    public const string Vm = "vm";
}
