using Kargo.Airgap.Install.Steps;

namespace Kargo.Airgap.Tests.Unit;

/// <summary>Which k3s releases have the embedded registry mirror (docs.k3s.io/installation/registry-mirror, its version gate).</summary>
public sealed class K3sEmbeddedRegistryTests
{
    [Theory]
    [InlineData("v1.25.16+k3s4", false)]
    [InlineData("v1.26.12+k3s1", false)]
    [InlineData("v1.26.13+k3s1", true)]
    [InlineData("v1.27.9+k3s1", false)]
    [InlineData("v1.27.10+k3s1", true)]
    [InlineData("v1.28.6+k3s2", true)]
    [InlineData("v1.29.0+k3s1", false)]
    [InlineData("v1.29.1+k3s2", true)]
    [InlineData("v1.30.0+k3s1", true)]
    [InlineData("v1.33.1+k3s1", true)]
    [InlineData("latest", false)]
    [InlineData(null, false)]
    public void The_flag_is_set_only_for_releases_that_know_it(string? version, bool supported) =>
        Assert.Equal(supported, K3sEmbeddedRegistry.SupportedBy(version));
}
