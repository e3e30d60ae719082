using System.Net;
using System.Security.Cryptography;
using System.Text;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Sources;
using Kargo.Airgap.Sources.Releases;
using Kargo.Airgap.Spec;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// A rehearsal of the real reference bundle: bundle-specs/kargo-homelab.yaml, unchanged, built with
/// every upstream stood in on 127.0.0.1 — its release files and manifests on a release mirror
/// (the manifests are the <see cref="ReleaseFixtures"/> of the spec's versions, with the published
/// shape; a digest the stand-in cannot reproduce is replaced by its stand-in image's), VM disks as
/// small qcow2 files, and a small image under every name the manifests lead to in one registry
/// that --registry-mirror puts in front of each upstream host. Then, with every stand-in stopped:
/// verify, install under a root, serve what install unpacked, and a real containerd pulling every
/// image of the bundle through the mirrors install wrote.
/// </summary>
public sealed class ReferenceRehearsal : IAsyncDisposable
{
    private readonly TempDir _dir = new();

    /// <summary>The KubeVirt release's feature-gates.json as the build will read it.</summary>
    private KubeVirtFeatureGates? _gates;

    public string Bundle => _dir["stick/kargo-homelab-0.1.0.kargo"];
    public string Root => _dir["node"];
    public string LockPath => _dir["images.lock"];

    /// <summary>Install onto this cluster (a <see cref="RealApiServer"/> with <see cref="StandInCluster"/>), not only under the root.</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>Where install was told the node's registry listens.</summary>
    public IPEndPoint Address { get; } = new(IPAddress.Loopback, Loopback.FreePort());

    /// <summary>The install command as the rehearsal runs it (again, for a re-run).</summary>
    public Task<ProcessResult> InstallAsync() =>
        OfflineAsync(["install", Bundle, "--pub", _dir["keys/builder.pub"], "--root", Root, "--addr", Address.ToString(),
            .. Kubeconfig is null ? Array.Empty<string>() : ["--kubeconfig", Kubeconfig, "--timeout", "3m"]]);

    /// <summary>The repository's reference spec.</summary>
    public static string SpecPath => Path.Combine(PublishedOffline.RepositoryRoot, "bundle-specs", "kargo-homelab.yaml");

    /// <summary>The fixture that stands in for each release manifest the reference spec names, by its path on github.com.</summary>
    private static readonly Dictionary<string, string> Fixtures = new(StringComparer.Ordinal)
    {
        ["kubevirt/kubevirt/releases/download/v1.9.0/kubevirt-operator.yaml"] = "kubevirt-v1.9.0-kubevirt-operator.yaml",
        ["kubevirt/kubevirt/releases/download/v1.9.0/kubevirt-cr.yaml"] = "kubevirt-v1.9.0-kubevirt-cr.yaml",
        ["kubevirt/kubevirt/releases/download/v1.9.0/feature-gates.json"] = ReleaseFixtures.KubeVirtFeatureGatesJson,
        ["kubevirt/containerized-data-importer/releases/download/v1.66.0/cdi-operator.yaml"] = "cdi-v1.66.0-cdi-operator.yaml",
        ["kubevirt/containerized-data-importer/releases/download/v1.66.0/cdi-cr.yaml"] = "cdi-v1.66.0-cdi-cr.yaml",
        ["cert-manager/cert-manager/releases/download/v1.21.1/cert-manager.yaml"] = "cert-manager-v1.21.1-cert-manager.yaml",
        ["kubevirt/cluster-network-addons-operator/releases/download/v0.102.0/namespace.yaml"] = "cnao-v0.102.0-namespace.yaml",
        ["kubevirt/cluster-network-addons-operator/releases/download/v0.102.0/network-addons-config.crd.yaml"] = "cnao-v0.102.0-network-addons-config.crd.yaml",
        ["kubevirt/cluster-network-addons-operator/releases/download/v0.102.0/operator.yaml"] = "cnao-v0.102.0-operator.yaml",
        ["kubevirt/hostpath-provisioner-operator/releases/download/v0.25.2/namespace.yaml"] = "hpp-v0.25.2-namespace.yaml",
        ["kubevirt/hostpath-provisioner-operator/releases/download/v0.25.2/webhook.yaml"] = "hpp-v0.25.2-webhook.yaml",
        ["kubevirt/hostpath-provisioner-operator/releases/download/v0.25.2/operator.yaml"] = "hpp-v0.25.2-operator.yaml",
    };

    public async Task<Report> RunAsync()
    {
        var registry = new TestRegistry();
        var server = await TestFileServer.StartAsync();
        string[] mirrorFlags;
        List<string> latestWarnings;
        try
        {
            var mirror = server.Url("mirror");
            using var pusher = new TestPusher(registry);
            var spec = new ReleaseCatalog(mirror).Expand(SpecLoader.Load(SpecPath));
            var manifests = await StandInFilesAsync(spec, server, mirror, pusher);
            mirrorFlags = await StandInImagesAsync(spec, registry, pusher, manifests);
            var common = new[] { "--lock", LockPath, "--cache", _dir["cache"], "--release-mirror", mirror }.Concat(mirrorFlags).ToArray();
            AssertOk(await BundleAsync("keygen", "--out", _dir["keys/builder"]));
            var locked = AssertOk(await BundleAsync(["lock", SpecPath, .. common]));
            latestWarnings = [.. locked.Stderr.Split('\n').Where(l => l.StartsWith("warning: ", StringComparison.Ordinal) && l.Contains("named by the tag latest", StringComparison.Ordinal))];
            AssertOk(await BundleAsync(["build", SpecPath, "-o", _dir["stick/"], "--locked", "--key", _dir["keys/builder.key"], .. common]));
        }
        finally
        {
            // Across the air gap: nothing the build used answers any more.
            registry.Dispose();
            await server.DisposeAsync();
        }
        AssertOk(await OfflineAsync("verify", Bundle, "--pub", _dir["keys/builder.pub"]));
        AssertOk(await InstallAsync());
        var pulled = await PullEveryImageAsync(Address);
        return Summarise(pulled, mirrorFlags, latestWarnings);
    }

    /// <summary>Every URL the spec names, on the release mirror: fixtures for manifests, made-up bytes with their checksums for k3s, qcow2 disks for VMs.</summary>
    private async Task<List<(string Entry, string Path, string? Component)>> StandInFilesAsync(BundleSpec spec, TestFileServer server, string mirror, TestPusher pusher)
    {
        Directory.CreateDirectory(_dir["manifests"]);
        Directory.CreateDirectory(_dir["disks"]);
        var k3s = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var manifests = new List<(string Entry, string Path, string? Component)>();
        foreach (var file in spec.Files.Concat(spec.Manifests).Concat(spec.VmImages.Select(v => v.Download)).Where(f => f.IsUrl))
        {
            var path = Uri.UnescapeDataString(file.Source[(mirror.Length + 1)..]);
            var githubPath = path.StartsWith("github.com/", StringComparison.Ordinal) ? path["github.com/".Length..] : "";
            byte[] content;
            if (Fixtures.TryGetValue(githubPath, out var fixture) && file.Name == KubeVirtRelease.FeatureGatesFile)
            {
                // A release file, not a manifest: which gates the release has GA or Beta, as the build reads it.
                content = File.ReadAllBytes(ReleaseFixtures.Path(fixture));
                _gates = KubeVirtFeatureGates.ReadFile(ReleaseFixtures.Path(fixture), file.Source);
            }
            else if (fixture is not null)
            {
                var text = await PinToStandInsAsync(ReleaseFixtures.Read(fixture), pusher);
                File.WriteAllText(_dir[$"manifests/{file.Name}"], text);
                content = Encoding.UTF8.GetBytes(text);
                manifests.Add((BundleLayout.Manifest(file.Name), _dir[$"manifests/{file.Name}"], file.Component));
            }
            else if (path.EndsWith(".img", StringComparison.Ordinal) || path.EndsWith(".qcow2", StringComparison.Ordinal))
            {
                await ProcessRunner.CheckedAsync("qemu-img", "create", "-f", "qcow2", _dir[$"disks/{Path.GetFileName(path)}"], "32M");
                content = File.ReadAllBytes(_dir[$"disks/{Path.GetFileName(path)}"]);
            }
            else if (path.Contains("/k3s-io/k3s/", StringComparison.Ordinal) && path.EndsWith("sha256sum-amd64.txt", StringComparison.Ordinal))
            {
                continue; // written once the files it lists are
            }
            else if (path.Contains("/k3s-io/k3s-selinux/releases/download/", StringComparison.Ordinal))
            {
                content = RandomNumberGenerator.GetBytes(16 * 1024); // an RPM's bytes: nothing reads them before the node
            }
            else if (path.Contains("k3s-io/k3s/", StringComparison.Ordinal) || path.Contains("/virtctl-", StringComparison.Ordinal))
            {
                content = path.EndsWith("install.sh", StringComparison.Ordinal) ? "#!/bin/sh\necho 'stand-in for k3s install.sh'\n"u8.ToArray() : RandomNumberGenerator.GetBytes(64 * 1024);
                k3s[Path.GetFileName(path)] = content;
            }
            else
            {
                throw new InvalidOperationException($"the rehearsal has no stand-in for {file.Source}: add a fixture for it to ReferenceRehearsal");
            }
            server.Files[path] = content;
        }
        var release = spec.Files.First(f => f.Source.Contains("/k3s-io/k3s/releases/download/", StringComparison.Ordinal)).Source;
        var checksums = Uri.UnescapeDataString(release[(mirror.Length + 1)..release.LastIndexOf('/')]) + "/sha256sum-amd64.txt";
        server.Files[checksums] = Encoding.ASCII.GetBytes(string.Concat(k3s.Where(f => f.Key.StartsWith("k3s", StringComparison.Ordinal))
            .Select(f => $"{Convert.ToHexStringLower(SHA256.HashData(f.Value))}  {f.Key}\n")));
        return manifests;
    }

    /// <summary>The manifest with each digest-pinned upstream image replaced by a pushed stand-in's digest: no stand-in can hash to upstream's.</summary>
    private async Task<string> PinToStandInsAsync(string text, TestPusher pusher)
    {
        foreach (var match in ReleaseFixtures.References(text).Where(m => m.Groups[4].Success).DistinctBy(m => m.Value).ToList())
        {
            var repository = $"{match.Groups[1].Value}/{match.Groups[2].Value}";
            var image = StandIn(match.Value);
            await pusher.PushAsync(repository, "pinned-" + image.Digest.Hex[..12], image);
            text = text.Replace(match.Value, $"{repository}@{image.Digest}", StringComparison.Ordinal);
        }
        return text;
    }

    /// <summary>virt-template's tag in kubevirt/kubevirt v1.9.0's install-virt-operator.yaml.</summary>
    private const string TemplateTag = "v0.2.2";

    private static TestImage StandIn(string name) => TestImages.Image($"rehearsal/{name}", layers: 1, layerSize: 4096);

    /// <summary>
    /// A small image under every name the manifests lead to (virt-operator's derivations included, as
    /// the build will find them), in one registry under HOST/…; returns a --registry-mirror per upstream host.
    /// virt-operator's stand-in carries a binary embedding virt-template's v0.2.2 image lines, as
    /// kubevirt/kubevirt v1.9.0's install-virt-operator.yaml names them, which the build reads.
    /// </summary>
    private async Task<string[]> StandInImagesAsync(BundleSpec spec, TestRegistry registry, TestPusher pusher, List<(string Entry, string Path, string? Component)> manifests)
    {
        var embedded = new OperatorEmbeddedImages();
        var images = ManifestImages.WithManifestImages(spec, manifests, embedded, _gates);
        var operators = embedded.Unread.Select(o => o.ToString()).ToHashSet(StringComparer.Ordinal);
        foreach (var operatorImage in embedded.Unread.ToList())
        {
            await pusher.PushAsync(operatorImage.Name, operatorImage.Tag!, VirtOperatorStandIn.Image(TemplateTag, $"rehearsal/{operatorImage}"));
            embedded.Add(operatorImage, [.. new[] { "virt-template-apiserver", "virt-template-controller" }.Select(n => Oci.ImageReference.Parse($"quay.io/kubevirt/{n}:{TemplateTag}"))]);
        }
        images = ManifestImages.WithManifestImages(spec, manifests, embedded, _gates);
        foreach (var image in images.Where(i => i.Reference.Digest is null && !operators.Contains(i.Reference.ToString())))
        {
            await pusher.PushAsync(image.Reference.Name, image.Reference.Tag!, StandIn(image.Reference.ToString()));
        }
        return [.. images.Select(i => i.Reference.Registry).Distinct().Order(StringComparer.Ordinal).SelectMany(host => new[] { "--registry-mirror", $"{host}={registry.Host}/{host}" })];
    }

    private async Task<int> PullEveryImageAsync(IPEndPoint address)
    {
        var images = BundleReader.ReadSummary(Bundle).Inventory.Images;
        await InstalledMirrors.PullAsync(Root, address, images.Select(i => (i.Reference, i.FoundBy)), _dir["certs.d"]);
        return images.Count;
    }

    /// <summary>What the rehearsal shows a user before the real build; <c>LatestWarnings</c> are lock's warnings for images named by the tag latest (HPP v0.25.2's own three).</summary>
    public sealed record Report(IReadOnlyList<string> Urls, IReadOnlyList<string> Images, IReadOnlyList<string> Hosts, int Pulled, long RehearsalBytes, string Text, IReadOnlyList<string> LatestWarnings);

    private Report Summarise(int pulled, string[] mirrorFlags, IReadOnlyList<string> latestWarnings)
    {
        var real = new ReleaseCatalog(null).Expand(SpecLoader.Load(SpecPath));
        var urls = real.Files.Concat(real.Manifests).Concat(real.VmImages.Select(v => v.Download)).Where(f => f.IsUrl).Select(f => f.Source).ToList();
        var inventory = BundleReader.ReadSummary(Bundle).Inventory;
        var images = inventory.Images.Select(i => i.Reference).ToList();
        var hosts = images.Select(i => Oci.ImageReference.Parse(i).Registry).Distinct().Order(StringComparer.Ordinal).ToList();
        var text = new StringBuilder()
            .AppendLine($"rehearsal of {SpecPath}, unchanged, with every upstream stood in on 127.0.0.1 ({mirrorFlags.Length / 2} registry mirrors, one release mirror)")
            .AppendLine($"a real build of it fetches {urls.Count} files:")
            .AppendJoin("", urls.Select(u => $"  {u}\n"))
            .AppendLine($"and {images.Count} images from {string.Join(", ", hosts.Select(h => $"{h} ({images.Count(i => Oci.ImageReference.Parse(i).Registry == h)})"))}:")
            .AppendJoin("", inventory.Images.Select(i => $"  {Shown(Oci.ImageReference.Parse(i.Reference))}  ({i.FoundBy})\n"))
            .AppendLine($"{latestWarnings.Count} of them named by the tag latest: a real lock pins whatever latest points to that day, not the release's own build:")
            .AppendJoin("", latestWarnings.Select(w => $"  {w}\n"))
            .AppendLine($"the rehearsal bundle: {inventory.Entries.Count} entries, {inventory.TotalSize / (1024.0 * 1024):0.0} MiB (stand-in images of one 4 KiB layer, 64 KiB stand-ins for the k3s files, empty qcow2 disks of 32 MiB virtual size)")
            .AppendLine("the real bundle's size is not known here: it is the sum of the real layers, k3s's airgap images and the two cloud images, which only their hosts can say;")
            .AppendLine("  'kargo-bundle lock' on a connected host pins them and 'kargo-bundle build' prints the total")
            .AppendLine($"verified, installed under a temporary root, and all {pulled} images pulled by a real containerd through the mirrors install wrote, with every stand-in stopped")
            .ToString();
        return new Report(urls, images, hosts, pulled, inventory.TotalSize, text, latestWarnings);
    }


    /// <summary>name:tag, or for a name pinned by digest, that it is (the digest here is its stand-in's, not upstream's).</summary>
    private static string Shown(Oci.ImageReference image) => image.Tag is { } tag ? $"{image.Name}:{tag}" : $"{image.Name}@sha256:… (pinned by digest upstream)";

    public async ValueTask DisposeAsync()
    {
        await Task.CompletedTask;
        _dir.Dispose();
    }
}
