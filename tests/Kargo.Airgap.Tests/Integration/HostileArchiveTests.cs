using System.Formats.Tar;
using System.Security.Cryptography;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// Hand-made archives, validly signed by the trusted key (the worst case: a signer gone bad or a
/// stolen key), each with one hostile trait. Each is refused and nothing is written, inside the
/// destination or out of it.
/// </summary>
public sealed class HostileArchiveTests(SignedBundleFixture bundles) : IClassFixture<SignedBundleFixture>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>One tar entry: its name in the archive and in the inventory, its type and bytes.</summary>
    private sealed record Crafted(string Name, byte[] Content, TarEntryType Type = TarEntryType.RegularFile, string? ListedAs = null, string? LinkTo = null);

    private string Write(IReadOnlyList<Crafted> tarEntries, IReadOnlyList<Crafted>? listed = null, Func<Inventory, Inventory>? alter = null)
    {
        var inventory = new Inventory
        {
            Name = "hostile",
            Version = "1",
            Platforms = ["linux/amd64"],
            Source = new("spec/x.yaml", "spec/images.lock"),
            Images = [],
            Entries = [.. (listed ?? tarEntries).Select(e => new InventoryEntry(e.ListedAs ?? e.Name, e.Content.Length, Convert.ToHexStringLower(SHA256.HashData(e.Content))))],
        };
        using var key = SigningKey.Load(bundles.Key, null);
        var inventoryBytes = (alter ?? (i => i))(inventory with { Signer = key.Fingerprint }).ToBytes();
        var path = _dir["hostile.kargo"];
        using (var file = File.Create(path))
        using (var tar = new TarWriter(file, TarEntryFormat.Ustar))
        {
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, Inventory.EntryName) { DataStream = new MemoryStream(inventoryBytes) });
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, Inventory.SignatureEntryName) { DataStream = new MemoryStream(key.Sign(inventoryBytes)) });
            foreach (var entry in tarEntries)
            {
                var tarEntry = new UstarTarEntry(entry.Type, entry.Name);
                if (entry.LinkTo is not null)
                {
                    tarEntry.LinkName = entry.LinkTo;
                }
                if (entry.Type == TarEntryType.RegularFile)
                {
                    tarEntry.DataStream = new MemoryStream(entry.Content);
                }
                tar.WriteEntry(tarEntry);
            }
        }
        return path;
    }

    private async Task AssertRefusedAsync(string bundle, string expected)
    {
        var outside = _dir["outside"];
        Directory.CreateDirectory(outside);
        var destination = _dir["node/unpacked"];
        var verify = await OfflineAsync("verify", bundle, "--pub", bundles.Pub);
        Assert.True(verify.ExitCode == 1, verify.Output);
        Assert.Contains(expected, verify.Stdout);

        var unpack = await OfflineAsync("unpack", bundle, "--pub", bundles.Pub, "--to", destination);
        Assert.Equal(1, unpack.ExitCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(destination));
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.Equal(["hostile.kargo", "node", "outside"], Directory.EnumerateFileSystemEntries(_dir.Path).Select(Path.GetFileName).Order());
    }

    private static readonly byte[] Payload = "#!/bin/sh\necho owned\n"u8.ToArray();

    /// <summary>Inventory fields a signed bundle may carry that would become paths or terminal lines.</summary>
    public static TheoryData<string, string> HostileFields => new()
    {
        { "name", "name '../../../../outside/x' is not a bundle name" },
        { "version", "version '1/../../../outside' is not a bundle version" },
        { "image", "not an image reference" },
        { "component", "has a name, version or feature gate of no valid shape" },
        { "namespace", "is not a manifest entry and a namespace name" },
        { "source", "is not an entry under spec/" },
        { "signer", "is not a key fingerprint" },
        { "mediaType", "is not type/subtype" },
    };

    private static Inventory Altered(Inventory inventory, string field)
    {
        const string forged = "x\n\u001b[32msignature: verified\u001b[0m";
        var image = new InventoryImage { Reference = "quay.io/kubevirt/virt-api:v1", Digest = Kargo.Airgap.Oci.Digest.Compute([]), MediaType = "application/vnd.oci.image.manifest.v1+json", Platforms = ["linux/amd64"], Size = 1 };
        return field switch
        {
            "name" => inventory with { Name = "../../../../outside/x" },
            "version" => inventory with { Version = "1/../../../outside" },
            "image" => inventory with { Images = [image with { Reference = "quay.io/kubevirt/virt-api:" + forged }] },
            "component" => inventory with { Components = [new InventoryComponent("kubevirt", "v1.3.0", [forged])] },
            "namespace" => inventory with { ManifestNamespaces = new Dictionary<string, string> { ["manifests/a.yaml"] = "../../etc" } },
            "source" => inventory with { Source = new("../outside/spec.yaml", "spec/images.lock") },
            "signer" => inventory with { Signer = forged },
            "mediaType" => inventory with { Images = [image with { MediaType = forged }] },
            _ => throw new ArgumentException(field),
        };
    }

    [Theory]
    [MemberData(nameof(HostileFields))]
    public async Task A_signed_inventory_field_that_breaks_its_rule_is_refused_before_anything_is_written(string field, string expected)
    {
        var bundle = Write([new("files/a", Payload)], alter: i => Altered(i, field));

        await AssertRefusedAsync(bundle, expected);

        var install = await OfflineAsync("install", bundle, "--pub", bundles.Pub, "--root", _dir["node/root"]);
        Assert.Equal(1, install.ExitCode);
        Assert.Contains(expected, install.Stderr);
        Assert.DoesNotContain('\u001b', install.Output);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir["outside"]));
        Assert.False(File.Exists(_dir["node/root/var/lib/kargo/install-state.json"]));
        var inspect = await BundleAsync("inspect", bundle);
        Assert.Equal(1, inspect.ExitCode);
        Assert.DoesNotContain('\u001b', inspect.Output);
    }

    [Fact]
    public Task An_absolute_path_is_refused() =>
        AssertRefusedAsync(Write([new("/tmp/kargo-owned.sh", Payload)]), "an absolute path");

    [Fact]
    public Task A_dot_dot_path_is_refused() =>
        AssertRefusedAsync(Write([new("files/../../outside/owned.sh", Payload)]), "'..' path segments");

    [Fact]
    public Task A_path_outside_the_bundle_folders_is_refused() =>
        AssertRefusedAsync(Write([new("etc/cron.d/owned", Payload)]), "not under one of the bundle's folders");

    [Fact]
    public Task A_symbolic_link_is_refused() =>
        AssertRefusedAsync(Write([new("files/link", [], TarEntryType.SymbolicLink, LinkTo: "../../outside")]), "is a SymbolicLink, not a regular file");

    [Fact]
    public Task A_hard_link_is_refused() =>
        AssertRefusedAsync(Write([new("files/a", Payload), new("files/hard", [], TarEntryType.HardLink, LinkTo: "files/a")]), "is a HardLink, not a regular file");

    [Fact]
    public Task A_device_file_is_refused() =>
        AssertRefusedAsync(Write([new("files/disk", [], TarEntryType.BlockDevice)]), "is a BlockDevice, not a regular file");

    [Fact]
    public Task Names_that_collide_by_case_are_refused() =>
        AssertRefusedAsync(Write([new("files/README", Payload), new("files/Readme", Payload)]), "name the same file on a case-insensitive");

    [Fact]
    public Task Names_that_could_collide_by_unicode_normalisation_are_refused() =>
        AssertRefusedAsync(Write([new("files/caf\u00e9", Payload), new("files/cafe\u0301", Payload)]), "characters other than ASCII");

    [Fact]
    public Task A_tar_name_the_inventory_does_not_list_is_refused() =>
        AssertRefusedAsync(Write([new("../outside/owned.sh", Payload, ListedAs: "files/owned.sh")]), "not in the inventory");

    [Fact]
    public Task A_duplicated_entry_is_refused()
    {
        var a = new Crafted("files/a", Payload);
        var b = new Crafted("files/b", Payload);
        return AssertRefusedAsync(Write([a, a], listed: [a, b]), "appears again (a duplicate)");
    }

    [Fact]
    public Task Reordered_entries_are_refused()
    {
        var a = new Crafted("files/a", Payload);
        var b = new Crafted("files/b", Payload);
        return AssertRefusedAsync(Write([b, a], listed: [a, b]), "out of order");
    }

    [Fact]
    public Task A_blob_not_named_by_its_digest_is_refused() =>
        AssertRefusedAsync(Write([new("oci/blobs/sha256/" + new string('a', 64), Payload)]), "a blob whose file name is not its sha256");
}
