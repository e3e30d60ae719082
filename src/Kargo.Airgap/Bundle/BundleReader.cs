using System.Formats.Tar;

namespace Kargo.Airgap.Bundle;

/// <summary>What a bundle says about itself, read from its first entries without reading the rest.</summary>
public sealed record BundleSummary(string Path, long FileSize, Inventory Inventory, bool Signed)
{
    /// <summary>The sha256 of the inventory's exact bytes: the bundle's identity, which a bundle by difference names as its base.</summary>
    public required string InventorySha256 { get; init; }
}

/// <summary>Reads a bundle's inventory (and whether a signature follows it), from one file or its parts.</summary>
public static class BundleReader
{
    private const int MaxInventoryBytes = 64 << 20;

    public static BundleSummary ReadSummary(string path)
    {
        var files = BundleFiles.Locate(path);
        using var stream = files.OpenRead();
        using var tar = new TarReader(stream);
        Inventory inventory;
        bool signed;
        string sha256;
        try
        {
            var first = tar.GetNextEntry();
            if (first is null || first.Name != Inventory.EntryName || first.DataStream is null)
            {
                throw new KargoException($"{path} is not a kargo bundle: its first entry is '{first?.Name}', not {Inventory.EntryName}");
            }
            if (first.Length > MaxInventoryBytes)
            {
                throw new KargoException($"{path}: the inventory is {first.Length} bytes, more than a bundle's inventory may have");
            }
            using var content = new MemoryStream();
            first.DataStream.CopyTo(content);
            var bytes = content.ToArray();
            inventory = Inventory.Parse(bytes, path);
            sha256 = Oci.Digest.Compute(bytes).Hex;
            signed = tar.GetNextEntry()?.Name == Inventory.SignatureEntryName;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new KargoException($"{path} is not a readable bundle (a tar archive): {e.Message}", e);
        }
        return new BundleSummary(files.Name, files.TotalSize, inventory, signed) { InventorySha256 = sha256 };
    }
}
