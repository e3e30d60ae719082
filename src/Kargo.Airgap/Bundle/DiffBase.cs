using System.Security.Cryptography;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Bundle;

/// <summary>
/// Bundles by difference. Building: which entries of the full bundle the base already has (same
/// path, same sha256), so they are left out and listed in the inventory's base instead; the spec
/// and lock, and oci/index.json (merged on unpack), always travel. Unpacking: the base must be in
/// place, its inventory and every entry taken from it, or nothing is placed.
/// </summary>
public sealed class DiffBase
{
    private readonly Dictionary<string, string> _present;

    public Inventory Inventory { get; }
    public string InventorySha256 { get; }

    private DiffBase(Inventory inventory, string sha256)
    {
        Inventory = inventory;
        InventorySha256 = sha256;
        // A base that is itself a diff was only unpacked on top of its own base: that content is there too.
        _present = inventory.Entries.Concat(inventory.Base?.Entries ?? []).GroupBy(e => e.Path, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last().Sha256, StringComparer.Ordinal);
    }

    /// <summary>The base from a bundle (or its first part), or from its kargo-bundle.json (as unpack keeps it in bundles/NAME-VERSION/).</summary>
    public static DiffBase Load(string path)
    {
        if (path.EndsWith(".json", StringComparison.Ordinal))
        {
            var bytes = File.Exists(path) ? File.ReadAllBytes(path) : throw new KargoException($"--since {path} does not exist");
            return new DiffBase(Inventory.Parse(bytes, path), Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }
        var summary = BundleReader.ReadSummary(path);
        return new DiffBase(summary.Inventory, summary.InventorySha256);
    }

    /// <summary>True when the base has this entry, byte for byte, and it need not travel again.</summary>
    public bool Has(string path, string sha256) =>
        !BundleLayout.IsIn(path, BundleLayout.SpecFolder) && path is not (BundleLayout.OciIndex or BundleLayout.OciLayoutFile)
        && _present.TryGetValue(path, out var present) && present == sha256;

    public InventoryBase Describe(IEnumerable<InventoryEntry> taken) =>
        new(Inventory.Name, Inventory.Version, InventorySha256, [.. taken]);

    /// <summary>Why a bundle by difference cannot be unpacked into a folder: its base is not (all) there. Null when it is.</summary>
    public static string? MissingFrom(string folder, InventoryBase inventoryBase)
    {
        var unpackFirst = $"unpack (or install) {inventoryBase} there first, then this bundle";
        var record = Path.Combine(folder, "bundles", $"{inventoryBase.Name}-{inventoryBase.Version}", Inventory.EntryName);
        if (!File.Exists(record))
        {
            return $"this bundle holds only what {inventoryBase} lacks, and {inventoryBase} is not in {folder}: {unpackFirst}";
        }
        if (Digest.ComputeFile(record).Hex != inventoryBase.InventorySha256)
        {
            return $"this bundle builds on {inventoryBase} with inventory sha256 {inventoryBase.InventorySha256}, but {record} is another build of it: {unpackFirst}";
        }
        foreach (var entry in inventoryBase.Entries)
        {
            var file = new FileInfo(Path.Combine(folder, entry.Path));
            // Blobs are named by their digest: the right size at the right name is the content (as unpack itself trusts).
            var present = file.Exists && file.LinkTarget is null && file.Length == entry.Size
                && (entry.Path.StartsWith("oci/blobs/", StringComparison.Ordinal) || Digest.ComputeFile(file.FullName).Hex == entry.Sha256);
            if (!present)
            {
                return $"{entry.Path} of {inventoryBase} is missing or changed in {folder}: {unpackFirst}";
            }
        }
        return null;
    }
}
