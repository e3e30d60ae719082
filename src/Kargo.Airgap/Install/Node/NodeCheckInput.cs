using System.Net;
using Kargo.Airgap.Bundle;

namespace Kargo.Airgap.Install.Node;

/// <summary>What the node checks look at: the node (or a folder standing in for it), and the bundle when there is one.</summary>
/// <param name="Root">The node's file system: / or --root.</param>
/// <param name="Os">The node's distribution.</param>
/// <param name="Inventory">The bundle's inventory; null for 'doctor' without a bundle (the node's own checks only).</param>
/// <param name="BundleFile">The bundle's first file, whose time tells how far the clock may be behind.</param>
/// <param name="RegistryAddress">The port the embedded registry will take, or null when none runs here.</param>
/// <param name="Kubeconfig">The cluster of --kubeconfig, if any.</param>
public sealed record NodeCheckInput(HostRoot Root, NodeOs Os, Inventory? Inventory, string? BundleFile, IPEndPoint? RegistryAddress, string? Kubeconfig)
{
    /// <summary>The clock the time check compares (a test's own).</summary>
    public DateTimeOffset Now { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Where the bundle's content lives once unpacked.</summary>
    public string Content => Root.Map(HostRoot.RegistryFolder);

    /// <summary>Under --root the machine is not the node: what is wrong with it only warns.</summary>
    public CheckOutcome HostOutcome => Root.IsRecording ? CheckOutcome.Warn : CheckOutcome.Fail;

    public ClusterDistribution Distribution => Inventory is null ? ClusterDistribution.None : ClusterDistributions.Of(Inventory);
}
