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

    private string Write(IReadOnlyList<Crafted> tarEntries, IReadOnlyList<Crafted>? listed = null)
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
        var inventoryBytes = (inventory with { Signer = key.Fingerprint }).ToBytes();
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
