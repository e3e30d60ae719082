namespace Kargo.Airgap.Bundle;

/// <summary>
/// <c>kargo-bundle sign</c>: signs a bundle that is unsigned (or signed by another key). The bundle
/// is checked first; then its inventory gets the signer's fingerprint and the signature entry
/// follows it, and every other byte is copied as it was, into the same file or parts layout.
/// </summary>
public static class BundleSigner
{
    public static async Task<IReadOnlyList<string>> SignAsync(string path, SigningKey key, CancellationToken cancellationToken = default)
    {
        var check = BundleVerifier.Verify(path, trusted: null, sink: null, cancellationToken);
        if (!check.Ok)
        {
            var first = check.Failures[0];
            throw new KargoException($"{path} does not verify, so it is not signed: {first.Entry}: {first.Problem}");
        }
        var oldHead = EntryLength(Inventory.EntryName, check.InventoryBytes!.Length)
            + (check.SignatureBytes is { } old ? EntryLength(Inventory.SignatureEntryName, old.Length) : 0);
        var signedInventory = (check.Inventory! with { Signer = key.Fingerprint }).ToBytes();
        return await RewriteAsync(BundleFiles.Locate(path), oldHead, signedInventory, key, cancellationToken);
    }

    /// <summary>
    /// Writes the new inventory and signature, then the bundle's bytes after its old head, into new
    /// files that replace the old ones only when all is written: a cancelled copy leaves the bundle as it was.
    /// </summary>
    internal static async Task<IReadOnlyList<string>> RewriteAsync(BundleFiles files, long oldHead, byte[] signedInventory, SigningKey key, CancellationToken cancellationToken)
    {
        await using var source = files.OpenRead();
        await SkipAsync(source, oldHead, cancellationToken);
        using var output = new PartedWriteStream(files.Name, files.IsSplit ? files.Sizes[0] : null);
        WriteSmall(output, Inventory.EntryName, signedInventory);
        WriteSmall(output, Inventory.SignatureEntryName, key.Sign(signedInventory));
        await source.CopyToAsync(output, 1 << 20, cancellationToken);
        output.Commit();
        return output.Files;
    }

    private static long EntryLength(string name, long size) => TarHeaders.ForFile(name, size, BundleItem.RegularMode).Length + size + TarHeaders.PaddingAfter(size);

    /// <summary>Reads and drops exactly <paramref name="count"/> bytes.</summary>
    private static async Task SkipAsync(Stream source, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        while (count > 0)
        {
            var read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken);
            if (read == 0)
            {
                throw new KargoException("the bundle ended early");
            }
            count -= read;
        }
    }

    private static void WriteSmall(Stream output, string name, byte[] content)
    {
        output.Write(TarHeaders.ForFile(name, content.Length, BundleItem.RegularMode));
        output.Write(content);
        output.Write(new byte[TarHeaders.PaddingAfter(content.Length)]);
    }
}
