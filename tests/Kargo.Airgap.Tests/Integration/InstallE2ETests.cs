using Kargo.Airgap.Install.Kubernetes;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// Opt-in: the platform and VM steps against a real cluster (KARGO_E2E_KUBECONFIG), from a real
/// bundle (KARGO_E2E_BUNDLE, KARGO_E2E_PUB) whose images that cluster can pull. Skipped otherwise.
/// </summary>
public sealed class InstallE2ETests : IDisposable
{
    private readonly TempDir _dir = new();

    [E2EFact]
    public async Task Install_brings_kubevirt_and_cdi_to_available_and_creates_the_example_vms_on_a_real_cluster()
    {
        var kubeconfig = Environment.GetEnvironmentVariable("KARGO_E2E_KUBECONFIG")!;
        var bundle = Environment.GetEnvironmentVariable("KARGO_E2E_BUNDLE");
        var pub = Environment.GetEnvironmentVariable("KARGO_E2E_PUB");
        Assert.False(string.IsNullOrEmpty(bundle) || string.IsNullOrEmpty(pub), "set KARGO_E2E_BUNDLE and KARGO_E2E_PUB to a bundle built with spec.kubevirt and spec.cdi, and its key");

        var result = AssertOk(await OfflineAsync("install", bundle!, "--pub", pub!, "--root", _dir["node"], "--kubeconfig", kubeconfig, "--timeout", "20m"));

        Assert.Contains("KubeVirt and CDI are Available", result.Stdout);
        using var api = KubeApi.FromKubeconfig(kubeconfig);
        foreach (var vm in ManifestObject.Read(_dir["node/var/lib/kargo/vms.yaml"]))
        {
            var found = await api.GetAsync($"/apis/kubevirt.io/v1/namespaces/{vm.Namespace}/virtualmachines/{vm.Name}", CancellationToken.None);
            Assert.True(found is not null, $"{vm} was not created");
        }
    }

    public void Dispose() => _dir.Dispose();
}
