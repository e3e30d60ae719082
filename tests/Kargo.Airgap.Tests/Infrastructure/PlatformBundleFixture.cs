using Kargo.Airgap.Bundle;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// Built once for a test class: a signed bundle of k3s, KubeVirt, CDI (from <see cref="PlatformRelease"/>)
/// and a qcow2 VM disk carried as a file and as a containerDisk. The registry and the release mirror
/// it was built from are stopped before any test runs, as they would be across an air gap.
/// </summary>
public class PlatformBundleFixture : IAsyncLifetime
{
    public Workspace Work { get; } = new();
    public PlatformRelease Release { get; private set; } = null!;
    public string SourceRegistry { get; private set; } = "";
    public string Bundle => Work.Output;
    public string Pub => Work["keys/builder.pub"];
    public string OtherPub => Work["keys/other.pub"];
    public byte[] Disk { get; private set; } = [];

    /// <summary>spec.cluster's entry.</summary>
    protected virtual string Cluster => PlatformRelease.K3sCluster;

    /// <summary>Called before the build, to put files beside the spec.</summary>
    protected virtual void Prepare()
    {
    }

    public async Task InitializeAsync()
    {
        using var registry = new TestRegistry();
        using var pusher = new TestPusher(registry);
        Release = await PlatformRelease.StartAsync(registry, pusher);
        SourceRegistry = registry.Host;
        await ProcessRunner.CheckedAsync("qemu-img", "create", "-f", "qcow2", Work["disk.qcow2"], "16M");
        Disk = File.ReadAllBytes(Work["disk.qcow2"]);
        Release.Server.Files["disk.qcow2"] = Disk;
        Release.WriteSpec(Work.Spec, extra: $"""
              vmImages:
                - name: cirros
                  url: {Release.Server.Url("files/disk.qcow2")}
                  sha256: {PlatformRelease.Sha(Disk)}
                  format: qcow2
                  delivery: both
            """, cluster: Cluster);
        Prepare();
        Directory.CreateDirectory(Work["keys"]);
        SigningKey.Generate(Work["keys/builder"], null);
        SigningKey.Generate(Work["keys/other"], null);
        Cli.AssertOk(await Work.BuildAsync("--release-mirror", Release.MirrorUrl, "--key", Work["keys/builder.key"]));
        await Release.DisposeAsync();
    }

    public Task DisposeAsync()
    {
        Work.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The same platform with microk8s: two snaps (a base and microk8s) and their assertions beside the spec.</summary>
public sealed class Microk8sBundleFixture : PlatformBundleFixture
{
    public static readonly string[] SnapFiles = ["core20_2318.snap", "core20_2318.assert", "microk8s_7229.snap", "microk8s_7229.assert"];

    protected override string Cluster => "microk8s: {channel: 1.30/stable, snaps: [snaps/microk8s_7229.snap, snaps/core20_2318.snap]}";

    protected override void Prepare()
    {
        Directory.CreateDirectory(Work["snaps"]);
        foreach (var file in SnapFiles)
        {
            File.WriteAllBytes(Work[$"snaps/{file}"], System.Security.Cryptography.RandomNumberGenerator.GetBytes(4096));
        }
    }
}
