using Kargo.Airgap.Registry;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// Mirrors on the build host — --registry-mirror and registries.conf, as a Harbor proxy cache is
/// used — between two real registries: the upstream, and a mirror holding the same images under a path.
/// </summary>
public sealed class RegistryMirrorTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_build_through_a_mirror_with_upstream_down_gives_the_same_bundle_bytes_under_the_upstream_names()
    {
        var single = TestImages.Image("mirror-single");
        var multi = TestImages.Index("mirror-multi", ManifestFormat.Oci, "amd64", "arm64");
        using var mirror = new TestRegistry();
        var upstream = new TestRegistry();
        var upstreamHost = upstream.Host;
        string[] images = [$"{upstreamHost}/app/single:1", $"{upstreamHost}/app/multi:1"];
        await TestPusher.SeedAsync(upstream, "app/single", single);
        await TestPusher.SeedAsync(upstream, "app/multi", multi);
        await TestPusher.SeedAsync(mirror, "proxy/app/single", single);
        await TestPusher.SeedAsync(mirror, "proxy/app/multi", multi);
        using var direct = new Workspace();
        using var mirrored = new Workspace();
        direct.WriteSpec(images, "[linux/amd64, linux/arm64]");
        mirrored.WriteSpec(images, "[linux/amd64, linux/arm64]");
        Assert.Equal(0, (await direct.BuildAsync()).ExitCode);
        upstream.Dispose();

        var locked = await mirrored.LockAsync("--registry-mirror", $"{upstreamHost}={mirror.Host}/proxy");
        var built = await mirrored.BuildAsync("--registry-mirror", $"{upstreamHost}={mirror.Host}/proxy", "--locked");

        Assert.True(locked.ExitCode == 0, locked.Output);
        Assert.Contains($"{upstreamHost}/app/single:1 sha256:{single.Digest.Hex} (new, via mirror {mirror.Host}/proxy/app/single)", locked.Stdout);
        Assert.True(built.ExitCode == 0, built.Output);
        Assert.Equal(File.ReadAllBytes(direct.Output), File.ReadAllBytes(mirrored.Output));
        Assert.Equal(File.ReadAllText(direct.Lock), File.ReadAllText(mirrored.Lock));
        Assert.DoesNotContain(mirror.Host, File.ReadAllText(mirrored.Lock));
    }

    [Fact]
    public async Task A_mirror_from_registries_conf_that_lacks_an_image_leaves_it_to_upstream_and_says_so()
    {
        var held = TestImages.Image("conf-held");
        var missing = TestImages.Image("conf-missing");
        using var mirror = new TestRegistry();
        using var upstream = new TestRegistry();
        await TestPusher.SeedAsync(upstream, "app/held", held);
        await TestPusher.SeedAsync(upstream, "app/missing", missing);
        await TestPusher.SeedAsync(mirror, "cache/app/held", held);
        File.WriteAllText(_dir["registries.conf"], $"""
            [[registry]]
            prefix = "{upstream.Host}"
            location = "{upstream.Host}"

            [[registry.mirror]]
            location = "{mirror.Host}/cache"
            insecure = true
            """);
        using var work = new Workspace();
        work.WriteSpec([$"{upstream.Host}/app/held:1", $"{upstream.Host}/app/missing:1"]);

        var locked = await work.LockAsync("--registries-conf", _dir["registries.conf"]);

        Assert.True(locked.ExitCode == 0, locked.Output);
        Assert.Contains($"{upstream.Host}/app/held:1 sha256:{held.Digest.Hex} (new, via mirror {mirror.Host}/cache/app/held)", locked.Stdout);
        Assert.Contains($"{upstream.Host}/app/missing:1 sha256:{missing.Digest.Hex} (new)", locked.Stdout);
        Assert.Contains($"warning: mirror {mirror.Host}/cache ({_dir["registries.conf"]}) did not serve {upstream.Host}/app/missing:1", locked.Stderr);
    }

    [Fact]
    public void Registries_conf_is_read_in_podmans_order_with_drop_ins_overriding_a_prefix()
    {
        var etc = _dir["root/etc/containers"];
        Directory.CreateDirectory(Path.Combine(etc, "registries.conf.d"));
        File.WriteAllText(Path.Combine(etc, "registries.conf"), """
            unqualified-search-registries = ["docker.io"]

            [[registry]]
            location = "quay.io"
            [[registry.mirror]]
            location = "old.lan/quay"

            [[registry]]
            prefix = "docker.io/library"
            location = "docker.io/library"
            [[registry.mirror]]
            location = "hub.lan/library"
            pull-from-mirror = "digest-only"
            """);
        File.WriteAllText(Path.Combine(etc, "registries.conf.d", "50-quay.conf"), """
            [[registry]]
            location = "quay.io"
            [[registry.mirror]]
            location = "harbor.lan/quay-proxy"
            """);
        var mirrors = RegistryMirrors.Load(["ghcr.io=harbor.lan/ghcr"], environment: name => name == "HOME" ? _dir["home"] : null, systemRoot: _dir["root"]);

        string[] Candidates(string reference) => [.. mirrors.CandidatesFor(Kargo.Airgap.Oci.ImageReference.Parse(reference)).Select(c => c.Reference.ToString())];

        Assert.Equal(["harbor.lan/quay-proxy/kubevirt/virt-api:v1.5.0", "quay.io/kubevirt/virt-api:v1.5.0"], Candidates("quay.io/kubevirt/virt-api:v1.5.0"));
        Assert.Equal(["docker.io/library/busybox:1.36"], Candidates("busybox:1.36"));
        var pinned = "busybox@sha256:" + new string('a', 64);
        Assert.Equal([$"hub.lan/library/busybox@sha256:{new string('a', 64)}", $"docker.io/library/busybox@sha256:{new string('a', 64)}"], Candidates(pinned));
        Assert.Equal(["harbor.lan/ghcr/org/app:1", "ghcr.io/org/app:1"], Candidates("ghcr.io/org/app:1"));
        Assert.Equal(["registry.k8s.io/pause:3.9"], Candidates("registry.k8s.io/pause:3.9"));
    }

    [Fact]
    public void A_malformed_mirror_flag_or_file_is_named_with_the_fix()
    {
        File.WriteAllText(_dir["bad.conf"], "[[registry]\nlocation = ");

        var flag = Assert.Throws<KargoException>(() => RegistryMirrors.Load(["https://harbor.lan/quay"]));
        var file = Assert.Throws<KargoException>(() => RegistryMirrors.Load([], _dir["bad.conf"]));

        Assert.Contains("expected PREFIX=LOCATION, such as quay.io=harbor.lan/quay-proxy", flag.Message);
        Assert.Contains(_dir["bad.conf"], file.Message);
    }
}
