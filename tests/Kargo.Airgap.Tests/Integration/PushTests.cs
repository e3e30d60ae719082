using Kargo.Airgap.Oci;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>kargo-offline push into the real distribution registry, checked with skopeo.</summary>
public sealed class PushTests(SignedBundleFixture bundles) : IClassFixture<SignedBundleFixture>, IAsyncLifetime
{
    private readonly TempDir _dir = new();

    private string Node => _dir["node"];

    public async Task InitializeAsync() => AssertOk(await OfflineAsync("unpack", bundles.Signed, "--pub", bundles.Pub, "--to", Node));

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Every image's digest in the target equals the bundle's. The multi-platform image holds one of
    /// its two platforms, so distribution refuses its original index: the platform manifest keeps
    /// its digest and the tag names an index pruned to it.
    /// </summary>
    private async Task AssertDigestsAsync(TestRegistry target, params string[] tlsArgs)
    {
        foreach (var (reference, digest) in new[] { ("signed/layered:1", bundles.Layered.Digest), ("signed/docker:1", bundles.Docker.Digest), ($"signed/multi@{bundles.Multi.Children[0].Digest}", bundles.Multi.Children[0].Digest) })
        {
            var raw = await ProcessRunner.CheckedAsync("skopeo", ["inspect", "--raw", .. tlsArgs, $"docker://{target.Host}/{reference}"]);
            Assert.Equal(digest, Digest.Compute(System.Text.Encoding.UTF8.GetBytes(raw)));
        }
        var pruned = await ProcessRunner.CheckedAsync("skopeo", ["inspect", "--raw", .. tlsArgs, $"docker://{target.Host}/signed/multi:1"]);
        Assert.Contains(bundles.Multi.Children[0].Digest.ToString(), pruned);
        Assert.DoesNotContain(bundles.Multi.Children[1].Digest.ToString(), pruned);
    }

    [Fact]
    public async Task Push_with_htpasswd_keeps_digests_and_a_second_push_transfers_nothing()
    {
        using var target = new TestRegistry(htpasswd: true);

        var first = AssertOk(await OfflineAsync("push", Node, "--registry", target.Host, "--creds", $"{TestRegistry.User}:{TestRegistry.Password}"));
        Assert.Contains($"pushed {target.Host}/signed/layered:1: 4 blobs uploaded", first.Stdout);
        Assert.DoesNotContain(TestRegistry.Password, first.Output);
        Assert.Contains("WARNING: ", first.Stderr);
        Assert.Contains($"refused index {bundles.Multi.Digest}", first.Stderr);
        await AssertDigestsAsync(target, "--tls-verify=false", "--creds", $"{TestRegistry.User}:{TestRegistry.Password}");

        var second = AssertOk(await OfflineAsync("push", Node, "--registry", target.Host, "--creds", $"{TestRegistry.User}:{TestRegistry.Password}"));
        Assert.Contains("3 images in", second.Stdout);
        Assert.Contains("0 blobs uploaded (0 B)", second.Stdout);
        Assert.Contains("0 manifests written", second.Stdout);
        Assert.DoesNotContain("1 manifests written", second.Stdout);
    }

    [Fact]
    public async Task Push_refuses_wrong_credentials_clearly()
    {
        using var target = new TestRegistry(htpasswd: true);

        var result = await OfflineAsync("push", Node, "--registry", target.Host, "--creds", "kargo:wrong-password");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("authentication failed", result.Stderr);
        Assert.DoesNotContain("wrong-password", result.Output);
    }

    [Fact]
    public async Task Push_over_tls_trusts_the_given_ca()
    {
        using var target = new TestRegistry(tls: true);

        AssertOk(await OfflineAsync("push", Node, "--registry", target.Host, "--registry-ca", target.Tls!.CaFile));

        await AssertDigestsAsync(target, "--tls-verify=false");
    }

    [Fact]
    public async Task Large_blobs_go_in_chunks_and_shared_blobs_are_mounted()
    {
        using var target = new TestRegistry();
        var shared = TestImages.Layer("push-shared", 300 * 1024);
        var first = TestImages.Image("push-first", layers: 1, layerSize: 280 * 1024, sharedLayer: shared);
        var second = TestImages.Image("push-second", layers: 1, sharedLayer: shared);
        TestLayout.Write(_dir["shared/oci"], ("quay.io/team/first:1", first), ("docker.io/team/second:1", second));
        using var client = new RegistryClient(new RegistryOptions());
        var pusher = new RegistryPusher(client, await LayoutCatalog.LoadAsync(_dir["shared"]), target.Host) { ChunkSize = 100 * 1024 };

        var results = await pusher.PushAllAsync(null, default);

        Assert.Equal([$"{target.Host}/team/first:1", $"{target.Host}/team/second:1"], results.Select(r => r.Target).Order(StringComparer.Ordinal));
        Assert.Equal(1, results.Sum(r => r.Mounted));
        foreach (var (repository, image) in new[] { ("team/first", first), ("team/second", second) })
        {
            var copy = _dir[$"copy-{repository.Replace('/', '-')}"];
            await ProcessRunner.CheckedAsync("skopeo", "copy", "--src-tls-verify=false", $"docker://{target.Host}/{repository}:1", $"dir:{copy}");
            Assert.All(image.Blobs, blob => Assert.Equal(blob.Content, File.ReadAllBytes(Path.Combine(copy, blob.Digest.Hex))));
        }
    }
}
