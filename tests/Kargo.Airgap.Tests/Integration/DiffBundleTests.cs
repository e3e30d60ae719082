using System.Security.Cryptography;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>build --since: a bundle of only what the old one lacks, which unpacks to exactly the full result, and only on top of the old one.</summary>
public sealed class DiffBundleTests : RegistryTest, IAsyncLifetime
{
    private readonly TestImage _kept = TestImages.Image("diff-kept", layers: 3, layerSize: 200 * 1024);
    private readonly TestImage _old = TestImages.Image("diff-changing-1");
    private readonly TestImage _new = TestImages.Image("diff-changing-2", layers: 2);

    private string Old => Work["old.kargo"];
    private string Full => Work["full.kargo"];
    private string Diff => Work["diff.kargo"];

    public async Task InitializeAsync()
    {
        await Pusher.PushAsync("app/kept", "1", _kept);
        await Pusher.PushAsync("app/changing", "1", _old);
        await Pusher.PushAsync("app/changing", "2", _new);
        Work.WriteSpec([$"{Registry.Host}/app/kept:1", $"{Registry.Host}/app/changing:1"], name: "app", version: "1");
        AssertOk(await BundleAsync("build", Work.Spec, "-o", Old, "--lock", Work["old.lock"], "--cache", Work.Cache));
        Work.WriteSpec([$"{Registry.Host}/app/kept:1", $"{Registry.Host}/app/changing:2"], name: "app", version: "2");
        AssertOk(await BundleAsync("build", Work.Spec, "-o", Full, "--lock", Work.Lock, "--cache", Work.Cache));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private Task<ProcessResult> BuildDiffAsync(string since, string output) =>
        BundleAsync("build", Work.Spec, "-o", output, "--lock", Work.Lock, "--cache", Work.Cache, "--locked", "--since", since);

    private static Dictionary<string, string> Tree(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(Inventory.EntryName, StringComparison.Ordinal)) // each bundle keeps its own inventory
            .ToDictionary(f => Path.GetRelativePath(root, f), f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))));

    [Fact]
    public async Task Old_plus_diff_unpacks_to_exactly_what_old_plus_full_gives()
    {
        var build = AssertOk(await BuildDiffAsync(Old, Diff));

        var diff = BundleReader.ReadSummary(Diff).Inventory;
        var full = BundleReader.ReadSummary(Full).Inventory;
        Assert.Equal(Inventory.DiffFormatVersion, diff.FormatVersion);
        Assert.Equal("app 1", diff.Base!.ToString());
        Assert.Equal(BundleReader.ReadSummary(Old).InventorySha256, diff.Base.InventorySha256);
        Assert.All(_kept.Blobs, b => Assert.DoesNotContain(diff.Entries, e => e.Path == $"oci/blobs/sha256/{b.Digest.Hex}"));
        Assert.All(_new.Blobs, b => Assert.Contains(diff.Entries, e => e.Path == $"oci/blobs/sha256/{b.Digest.Hex}"));
        Assert.Equal(full.Entries.Select(e => e.Path).Order(StringComparer.Ordinal), diff.Entries.Concat(diff.Base.Entries).Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Equal(full.Images.Select(i => $"{i.Reference}@{i.Digest}"), diff.Images.Select(i => $"{i.Reference}@{i.Digest}"));
        Assert.True(diff.TotalSize < full.TotalSize / 2, $"{diff.TotalSize} of {full.TotalSize}");
        Assert.Contains("by difference", build.Stdout);

        AssertOk(await OfflineAsync("unpack", Old, "--insecure-skip-signature", "--to", Work["a"]));
        AssertOk(await OfflineAsync("unpack", Full, "--insecure-skip-signature", "--to", Work["a"]));
        AssertOk(await OfflineAsync("unpack", Old, "--insecure-skip-signature", "--to", Work["b"]));
        var unpack = AssertOk(await OfflineAsync("unpack", Diff, "--insecure-skip-signature", "--to", Work["b"]));

        Assert.Contains("base:      app 1", unpack.Stdout);
        Assert.Equal(Tree(Work["a"]), Tree(Work["b"]));
        // And everything the full bundle alone gives is there, byte for byte (the index is merged: it lists the old tags too).
        AssertOk(await OfflineAsync("unpack", Full, "--insecure-skip-signature", "--to", Work["fresh"]));
        Assert.Subset(Tree(Work["b"]).Where(f => f.Key != "oci/index.json").ToHashSet(), Tree(Work["fresh"]).Where(f => f.Key != "oci/index.json").ToHashSet());
        var merged = File.ReadAllText(Work["b/oci/index.json"]);
        Assert.All(full.Images, image => Assert.Contains(image.Digest.ToString(), merged));
    }

    [Fact]
    public async Task A_diff_with_an_install_script_carries_the_binary_the_script_takes_out()
    {
        Directory.CreateDirectory(Work["bin/linux-x64"]);
        File.WriteAllText(Work["bin/linux-x64/kargo-offline"], "#!/bin/sh\necho stand-in\n");
        AssertOk(await BundleAsync("build", Work.Spec, "-o", Work["old-bin.kargo"], "--lock", Work["old.lock"], "--cache", Work.Cache, "--offline-bin", Work["bin"]));

        AssertOk(await BundleAsync("build", Work.Spec, "-o", Work["diff-bin.kargo"], "--lock", Work.Lock, "--cache", Work.Cache, "--locked", "--since", Work["old-bin.kargo"], "--offline-bin", Work["bin"]));

        var diff = BundleReader.ReadSummary(Work["diff-bin.kargo"]).Inventory;
        Assert.Equal("bin/linux-amd64/kargo-offline", diff.Entries[0].Path);
        Assert.DoesNotContain(diff.Base!.Entries, e => e.Path.StartsWith("bin/", StringComparison.Ordinal));
        var tar = await ProcessRunner.RunAsync("tar", ["-xOf", Work["diff-bin.kargo"], "--occurrence", "bin/linux-amd64/kargo-offline"]);
        Assert.True(tar.ExitCode == 0, tar.Output);
        Assert.Contains("stand-in", tar.Stdout);
    }

    [Fact]
    public async Task A_diff_on_a_node_without_the_old_bundle_fails_clearly_and_places_nothing()
    {
        AssertOk(await BuildDiffAsync(Old, Diff));

        var result = await OfflineAsync("unpack", Diff, "--insecure-skip-signature", "--to", Work["node"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("this bundle holds only what app 1 lacks, and app 1 is not in", result.Stdout);
        Assert.Contains("unpack (or install) app 1 there first", result.Stdout);
        Assert.False(Directory.Exists(Work["node"]));

        // The old bundle there, but a blob of it gone: named.
        AssertOk(await OfflineAsync("unpack", Old, "--insecure-skip-signature", "--to", Work["node"]));
        var blob = $"oci/blobs/sha256/{_kept.Blobs[0].Digest.Hex}";
        File.Delete(Work[$"node/{blob}"]);
        var again = await OfflineAsync("unpack", Diff, "--insecure-skip-signature", "--to", Work["node"]);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"{blob} of app 1 is missing or changed", again.Stdout);
    }

    [Fact]
    public async Task Since_the_old_inventory_file_gives_the_same_bundle_as_since_the_old_bundle()
    {
        AssertOk(await OfflineAsync("unpack", Old, "--insecure-skip-signature", "--to", Work["node"]));

        AssertOk(await BuildDiffAsync(Old, Diff));
        AssertOk(await BuildDiffAsync(Work["node/bundles/app-1/kargo-bundle.json"], Work["diff2.kargo"]));

        Assert.Equal(File.ReadAllBytes(Diff), File.ReadAllBytes(Work["diff2.kargo"]));
    }

    [Fact]
    public async Task Install_of_a_diff_builds_on_the_installed_old_bundle()
    {
        AssertOk(await BuildDiffAsync(Old, Diff));
        var fresh = await OfflineAsync("install", Diff, "--insecure-skip-signature", "--root", Work["fresh-node"]);
        Assert.Equal(1, fresh.ExitCode);
        Assert.Contains("step 'unpack' failed", fresh.Stderr);
        Assert.Contains("app 1 is not in", fresh.Stderr);

        AssertOk(await OfflineAsync("install", Old, "--insecure-skip-signature", "--root", Work["node"]));
        var result = AssertOk(await OfflineAsync("install", Diff, "--insecure-skip-signature", "--root", Work["node"]));

        Assert.Contains("installed app 2", result.Stdout);
        var index = File.ReadAllText(Work["node/var/lib/kargo/registry/oci/index.json"]);
        Assert.Contains($"{Registry.Host}/app/changing:2", index);
        Assert.Contains($"{Registry.Host}/app/kept:1", index);
    }
}
