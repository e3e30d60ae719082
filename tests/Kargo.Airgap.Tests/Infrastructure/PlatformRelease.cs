using System.Security.Cryptography;
using System.Text;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// The releases a Kargo node runs, on a local mirror (Kestrel on 127.0.0.1): k3s's binary, airgap
/// images, checksums and install script, and the manifests of KubeVirt v1.3.0, CDI v1.59.0,
/// cert-manager v1.15.3, CNAO v0.93.0 and HPP v0.17.0 with their published shape
/// (<see cref="ReleaseFixtures"/>), their image hosts moved to a real local registry. Every image
/// the manifests name is pushed there (digest-pinned ones under new digests, written back into the
/// manifests), and so are the images virt-operator derives at run time, which no manifest names.
/// </summary>
public sealed class PlatformRelease : IAsyncDisposable
{
    public const string K3s = "v1.30.4+k3s1";

    /// <summary>What virt-operator v1.3.0 starts with no optional feature gate (pkg/virt-operator/util/config.go at v1.3.0).</summary>
    public static readonly string[] KubeVirtDerived = ["virt-api", "virt-controller", "virt-handler", "virt-launcher"];

    public TestFileServer Server { get; }
    public string Registry { get; }
    public byte[] K3sBinary { get; } = RandomNumberGenerator.GetBytes(200_000);
    public byte[] AirgapImages { get; } = RandomNumberGenerator.GetBytes(300_000);
    public byte[] InstallScript { get; } = "#!/bin/sh\necho install\n"u8.ToArray();

    /// <summary>The k3s-selinux v1.6.stable.1 RPMs a spec with selinux: true carries.</summary>
    public Dictionary<string, byte[]> SelinuxRpms { get; } = new(StringComparer.Ordinal)
    {
        ["k3s-selinux-1.6-1.el8.noarch.rpm"] = RandomNumberGenerator.GetBytes(20_000),
        ["k3s-selinux-1.6-1.el9.noarch.rpm"] = RandomNumberGenerator.GetBytes(20_000),
    };
    public string MirrorUrl => Server.Url("mirror");

    /// <summary>Every image pushed, by the reference the bundle knows it by (the moved upstream reference).</summary>
    public Dictionary<string, TestImage> Images { get; } = new(StringComparer.Ordinal);

    private PlatformRelease(TestFileServer server, string registry)
    {
        Server = server;
        Registry = registry;
    }

    public static string Sha(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public static async Task<PlatformRelease> StartAsync(TestRegistry registry, TestPusher pusher)
    {
        var release = new PlatformRelease(await TestFileServer.StartAsync(), registry.Host);
        await release.PublishAsync(pusher);
        return release;
    }

    private async Task PublishAsync(TestPusher pusher)
    {
        var files = Server.Files;
        var k3s = $"github.com/k3s-io/k3s/releases/download/{K3s}/";
        files[k3s + "k3s"] = K3sBinary;
        files[k3s + "k3s-airgap-images-amd64.tar.zst"] = AirgapImages;
        files[k3s + "sha256sum-amd64.txt"] = Encoding.ASCII.GetBytes($"{Sha(K3sBinary)}  k3s\n{Sha(AirgapImages)}  k3s-airgap-images-amd64.tar.zst\n");
        files[$"raw.githubusercontent.com/k3s-io/k3s/{K3s}/install.sh"] = InstallScript;
        files["github.com/kubevirt/kubevirt/releases/download/v1.3.0/virtctl-v1.3.0-linux-amd64"] = RandomNumberGenerator.GetBytes(50_000);
        // k3s-io/k3s-selinux's release assets, as its release workflow names them (stand-in bytes, not RPMs).
        foreach (var (name, content) in SelinuxRpms)
        {
            files[$"github.com/k3s-io/k3s-selinux/releases/download/v1.6.stable.1/{name}"] = content;
        }
        foreach (var (path, fixture) in Assets)
        {
            files[path] = Encoding.UTF8.GetBytes(await MoveAsync(ReleaseFixtures.Read(fixture), pusher));
        }
        foreach (var name in KubeVirtDerived)
        {
            await PushAsync(pusher, $"kubevirt/{name}", "v1.3.0");
        }
    }

    /// <summary>Each release asset's path on the mirror (as on github.com) and the fixture that stands in for it.</summary>
    private static readonly (string Path, string Fixture)[] Assets =
    [
        ("github.com/kubevirt/kubevirt/releases/download/v1.3.0/kubevirt-operator.yaml", ReleaseFixtures.KubeVirtOperator),
        ("github.com/kubevirt/kubevirt/releases/download/v1.3.0/kubevirt-cr.yaml", ReleaseFixtures.KubeVirtCr),
        ("github.com/kubevirt/containerized-data-importer/releases/download/v1.59.0/cdi-operator.yaml", ReleaseFixtures.CdiOperator),
        ("github.com/kubevirt/containerized-data-importer/releases/download/v1.59.0/cdi-cr.yaml", ReleaseFixtures.CdiCr),
        ("github.com/cert-manager/cert-manager/releases/download/v1.15.3/cert-manager.yaml", ReleaseFixtures.CertManager),
        ("github.com/kubevirt/cluster-network-addons-operator/releases/download/v0.93.0/namespace.yaml", ReleaseFixtures.CnaoNamespace),
        ("github.com/kubevirt/cluster-network-addons-operator/releases/download/v0.93.0/network-addons-config.crd.yaml", ReleaseFixtures.CnaoCrd),
        ("github.com/kubevirt/cluster-network-addons-operator/releases/download/v0.93.0/operator.yaml", ReleaseFixtures.CnaoOperator),
        ("github.com/kubevirt/hostpath-provisioner-operator/releases/download/v0.17.0/namespace.yaml", ReleaseFixtures.HppNamespace),
        ("github.com/kubevirt/hostpath-provisioner-operator/releases/download/v0.17.0/webhook.yaml", ReleaseFixtures.HppWebhook),
        ("github.com/kubevirt/hostpath-provisioner-operator/releases/download/v0.17.0/operator.yaml", ReleaseFixtures.HppOperator),
    ];

    /// <summary>The manifest with every upstream image moved to the local registry, each pushed there (a pinned digest becomes the pushed image's).</summary>
    private async Task<string> MoveAsync(string text, TestPusher pusher)
    {
        foreach (var match in ReleaseFixtures.References(text).DistinctBy(m => m.Value).ToList())
        {
            var repository = match.Groups[2].Value;
            var moved = match.Groups[3].Success
                ? $"{Registry}/{repository}:{match.Groups[3].Value}"
                : $"{Registry}/{repository}@{(await PushAsync(pusher, repository, "pinned", seed: match.Value)).Digest}";
            if (match.Groups[3].Success)
            {
                await PushAsync(pusher, repository, match.Groups[3].Value);
            }
            text = text.Replace(match.Value, moved, StringComparison.Ordinal);
        }
        return text;
    }

    private async Task<TestImage> PushAsync(TestPusher pusher, string repository, string tag, string? seed = null)
    {
        var image = TestImages.Image($"release/{seed ?? repository + ":" + tag}", layers: 1, layerSize: 4096);
        await pusher.PushAsync(repository, tag, image);
        Images[tag == "pinned" ? $"{Registry}/{repository}@{image.Digest}" : $"{Registry}/{repository}:{tag}"] = image;
        return image;
    }

    public const string K3sCluster = $"k3s: {{version: \"{K3s}\"}}";

    /// <summary>
    /// A spec asking for a cluster (k3s by default), KubeVirt and CDI by version, cert-manager, CNAO
    /// and HPP by their release manifests (as bundle-specs/kargo-homelab.yaml does), and whatever else is given.
    /// </summary>
    public void WriteSpec(string path, string cdiVersion = "v1.59.0", string extra = "", string cluster = K3sCluster, bool addOns = true)
    {
        var folder = Path.GetDirectoryName(path)!;
        File.WriteAllText(Path.Combine(folder, "network-addons-config.yaml"), """
            apiVersion: networkaddonsoperator.network.kubevirt.io/v1
            kind: NetworkAddonsConfig
            metadata:
              name: cluster
            spec:
              multus: {}
              linuxBridge: {}
              kubeMacPool: {}
              imagePullPolicy: IfNotPresent
            """);
        File.WriteAllText(Path.Combine(folder, "hostpath-provisioner.yaml"), """
            apiVersion: hostpathprovisioner.kubevirt.io/v1beta1
            kind: HostPathProvisioner
            metadata:
              name: hostpath-provisioner
            spec:
              imagePullPolicy: IfNotPresent
              storagePools:
                - name: local
                  path: /var/hpvolumes
            """);
        var release = (string repository, string version) => Server.Url($"mirror/github.com/{repository}/releases/download/{version}");
        var cnao = release("kubevirt/cluster-network-addons-operator", "v0.93.0");
        var hpp = release("kubevirt/hostpath-provisioner-operator", "v0.17.0");
        var manifests = !addOns ? "" : $"""
              manifests:
                - {release("cert-manager/cert-manager", "v1.15.3")}/cert-manager.yaml
                - {"{"}url: {cnao}/namespace.yaml, name: cnao-namespace.yaml{"}"}
                - {"{"}url: {cnao}/network-addons-config.crd.yaml, name: cnao-network-addons-config.crd.yaml{"}"}
                - {"{"}url: {cnao}/operator.yaml, name: cnao-operator.yaml{"}"}
                - network-addons-config.yaml
                - {"{"}url: {hpp}/namespace.yaml, name: hpp-namespace.yaml{"}"}
                - {"{"}url: {hpp}/webhook.yaml, name: hpp-webhook.yaml{"}"}
                - {"{"}url: {hpp}/operator.yaml, name: hpp-operator.yaml, namespace: hostpath-provisioner{"}"}
                - hostpath-provisioner.yaml
            """;
        File.WriteAllText(path, $"""
            kind: Bundle
            metadata: {"{"}name: kargo-platform, version: "1"{"}"}
            spec:
              platforms: [linux/amd64]
              cluster:
                {cluster}
              kubevirt:
                version: v1.3.0
                featureGates: [Snapshot, LiveMigration]
              cdi: {"{"}version: {cdiVersion}{"}"}
            {manifests}
            {extra}
            """);
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
