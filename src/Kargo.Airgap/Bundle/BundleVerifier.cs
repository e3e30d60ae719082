namespace Kargo.Airgap.Bundle;

/// <summary>
/// Checks a bundle in one streaming pass: the inventory's signature first, then the inventory's
/// paths, then the files' total size (a missing or truncated part is named here), then every
/// entry's type, name, order, size and sha256 as it streams. Extra, missing, reordered or
/// duplicated entries are errors. Entries go to an optional sink, which keeps only what checked out.
/// </summary>
public static class BundleVerifier
{
    /// <param name="path">The bundle file, its first part, or its base name.</param>
    /// <param name="trusted">The keys to trust; null skips the signature check (--insecure-skip-signature).</param>
    /// <param name="sink">Where verified entries go; null only checks.</param>
    /// <param name="cancellationToken">Stops between entries.</param>
    /// <param name="phases">Where the "verify" phase reports the bytes checked.</param>
    public static VerifyReport Verify(string path, TrustedKeys? trusted, IEntrySink? sink = null, CancellationToken cancellationToken = default, IPhaseProgress? phases = null) =>
        Check(path, trusted, sink, headOnly: false, cancellationToken, phases);

    /// <summary>
    /// The quick check before a long job: the signature, the inventory and the files' total size,
    /// without reading the entries (so a wrong key or a missing part fails in a second, not after 20 GiB).
    /// </summary>
    public static VerifyReport VerifyHead(string path, TrustedKeys? trusted) => Check(path, trusted, null, headOnly: true, CancellationToken.None, null);

    private static VerifyReport Check(string path, TrustedKeys? trusted, IEntrySink? sink, bool headOnly, CancellationToken cancellationToken, IPhaseProgress? phases)
    {
        using var pass = new VerifyPass(BundleFiles.Locate(path), trusted, sink, phases, cancellationToken);
        return pass.Run(headOnly);
    }

    /// <summary>The exact size of the tar the inventory describes: each entry's header, content and padding, and the end.</summary>
    public static long ExpectedSize(int inventorySize, int? signatureSize, IEnumerable<InventoryEntry> entries)
    {
        static long Entry(string path, long size) => TarHeaders.ForFile(path, size, BundleItem.RegularMode).Length + size + TarHeaders.PaddingAfter(size);
        var total = Entry(Inventory.EntryName, inventorySize) + TarHeaders.EndOfArchive().Length;
        if (signatureSize is { } s)
        {
            total += Entry(Inventory.SignatureEntryName, s);
        }
        return total + entries.Sum(e => Entry(e.Path, e.Size));
    }
}
