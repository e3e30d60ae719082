using System.Security.Cryptography;
using System.Text;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// k3s, KubeVirt and CDI releases on a local mirror (Kestrel on 127.0.0.1), shaped like the real
/// ones: k3s's binary, airgap images, checksums and install script; KubeVirt's and CDI's operator
/// manifests (namespace, CRD, operator Deployment naming its images) and CRs; virtctl. The images
/// the manifests name are pushed into a real registry.
/// </summary>
public sealed class PlatformRelease : IAsyncDisposable
{
    public const string K3s = "v1.30.4+k3s1";
    public TestFileServer Server { get; }
    public TestImage VirtOperator { get; } = TestImages.Image("rel-virt-operator");
    public TestImage VirtApi { get; } = TestImages.Image("rel-virt-api");
    public TestImage CdiOperator { get; } = TestImages.Image("rel-cdi-operator");
    public TestImage CdiController { get; } = TestImages.Image("rel-cdi-controller");
    public byte[] K3sBinary { get; } = RandomNumberGenerator.GetBytes(200_000);
    public byte[] AirgapImages { get; } = RandomNumberGenerator.GetBytes(300_000);
    public byte[] InstallScript { get; } = "#!/bin/sh\necho install\n"u8.ToArray();
    public string MirrorUrl => Server.Url("mirror");

    private PlatformRelease(TestFileServer server)
    {
        Server = server;
    }

    public static string Sha(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public static async Task<PlatformRelease> StartAsync(TestRegistry registry, TestPusher pusher)
    {
        var release = new PlatformRelease(await TestFileServer.StartAsync());
        await pusher.PushAsync("kubevirt/virt-operator", "v1.3.0", release.VirtOperator);
        await pusher.PushAsync("kubevirt/virt-api", "v1.3.0", release.VirtApi);
        await pusher.PushAsync("kubevirt/cdi-operator", "v1.59.0", release.CdiOperator);
        await pusher.PushAsync("kubevirt/cdi-controller", "v1.59.0", release.CdiController);
        release.Publish(registry.Host);
        return release;
    }

    private void Publish(string registry)
    {
        var files = Server.Files;
        var k3s = $"github.com/k3s-io/k3s/releases/download/{K3s}/";
        files[k3s + "k3s"] = K3sBinary;
        files[k3s + "k3s-airgap-images-amd64.tar.zst"] = AirgapImages;
        files[k3s + "sha256sum-amd64.txt"] = Encoding.ASCII.GetBytes($"{Sha(K3sBinary)}  k3s\n{Sha(AirgapImages)}  k3s-airgap-images-amd64.tar.zst\n");
        files[$"raw.githubusercontent.com/k3s-io/k3s/{K3s}/install.sh"] = InstallScript;
        var kubevirt = "github.com/kubevirt/kubevirt/releases/download/v1.3.0/";
        files[kubevirt + "kubevirt-operator.yaml"] = Encoding.UTF8.GetBytes(Operator("kubevirt", "kubevirt.io", "KubeVirt", "kubevirts", "v1", "Namespaced", "virt-operator", $"""
                    image: {registry}/kubevirt/virt-operator:v1.3.0
                    env:
                    - {"{"}name: OPERATOR_IMAGE, value: "{registry}/kubevirt/virt-operator:v1.3.0"{"}"}
                    - {"{"}name: KUBEVIRT_VERSION, value: v1.3.0{"}"}
                    - {"{"}name: VIRT_API_SHASUM, value: "{VirtApi.Digest}"{"}"}
            """));
        files[kubevirt + "kubevirt-cr.yaml"] = "apiVersion: kubevirt.io/v1\nkind: KubeVirt\nmetadata: {name: kubevirt, namespace: kubevirt}\nspec:\n  imagePullPolicy: IfNotPresent\n"u8.ToArray();
        files[kubevirt + "virtctl-v1.3.0-linux-amd64"] = RandomNumberGenerator.GetBytes(50_000);
        var cdi = "github.com/kubevirt/containerized-data-importer/releases/download/v1.59.0/";
        files[cdi + "cdi-operator.yaml"] = Encoding.UTF8.GetBytes(Operator("cdi", "cdi.kubevirt.io", "CDI", "cdis", "v1beta1", "Cluster", "cdi-operator", $"""
                    image: {registry}/kubevirt/cdi-operator:v1.59.0
                    env:
                    - {"{"}name: CONTROLLER_IMAGE, value: "{registry}/kubevirt/cdi-controller:v1.59.0"{"}"}
            """));
        files[cdi + "cdi-cr.yaml"] = "apiVersion: cdi.kubevirt.io/v1beta1\nkind: CDI\nmetadata: {name: cdi}\nspec:\n  imagePullPolicy: IfNotPresent\n"u8.ToArray();
    }

    /// <summary>An operator manifest as KubeVirt and CDI ship them: its namespace, its CRD, its Deployment.</summary>
    private static string Operator(string ns, string group, string kind, string plural, string version, string scope, string name, string container) => $"""
        # {kind} operator
        apiVersion: v1
        kind: Namespace
        metadata:
          name: {ns}
        ---
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: {plural}.{group}
        spec:
          group: {group}
          names: {"{"}kind: {kind}, plural: {plural}, singular: {kind.ToLowerInvariant()}{"}"}
          scope: {scope}
          versions:
          - name: {version}
            served: true
            storage: true
            schema:
              openAPIV3Schema: {"{"}type: object, x-kubernetes-preserve-unknown-fields: true{"}"}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
          namespace: {ns}
        spec:
          selector:
            matchLabels: {"{"}name: {name}{"}"}
          template:
            metadata:
              labels: {"{"}name: {name}{"}"}
            spec:
              containers:
              - name: {name}
        {container}
        """;

    public const string K3sCluster = $"k3s: {{version: \"{K3s}\"}}";

    /// <summary>A spec asking for a cluster (k3s by default), KubeVirt and CDI by version, and whatever else is given.</summary>
    public static void WriteSpec(string path, string cdiVersion = "v1.59.0", string extra = "", string cluster = K3sCluster) => File.WriteAllText(path, $"""
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
        {extra}
        """);

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
