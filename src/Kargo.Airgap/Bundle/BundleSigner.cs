namespace Kargo.Airgap.Bundle;

/// <summary>
/// <c>kargo-bundle sign</c>: signs a bundle that is unsigned (or signed by another key). The bundle
/// is checked first; then its inventory gets the signer's fingerprint and the signature entry
/// follows it, and every other byte is copied as it was, into the same file or parts layout.
/// </summary>
public static class BundleSigner
{
    public static IReadOnlyList<string> Sign(string path, SigningKey key, CancellationToken cancellationToken = default)
    {
        var check = BundleVerifier.Verify(path, trusted: null, sink: null, cancellationToken);
        if (!check.Ok)
        {
            var first = check.Failures[0];
            throw new KargoException($"{path} does not verify, so it is not signed: {first.Entry}: {first.Problem}");
        }
        var inventory = check.Inventory! with { Signer = null };
        var files = BundleFiles.Locate(path);
        var skip = EntryLength(Inventory.EntryName, check.InventoryBytes!.Length)
            + (check.SignatureBytes is { } old ? EntryLength(Inventory.SignatureEntryName, old.Length) : 0);

        using var source = files.OpenRead();
        Skip(source, skip);
        using var output = new PartedWriteStream(files.Name, files.IsSplit ? files.Sizes[0] : null);
        var signedBytes = (inventory with { Signer = key.Fingerprint }).ToBytes();
        WriteSmall(output, Inventory.EntryName, signedBytes);
        WriteSmall(output, Inventory.SignatureEntryName, key.Sign(signedBytes));
        source.CopyTo(output, 1 << 20);
        output.Commit();
        return output.Files;
    }

    private static long EntryLength(string name, long size) => TarHeaders.ForFile(name, size, BundleItem.RegularMode).Length + size + TarHeaders.PaddingAfter(size);

    /// <summary>Reads and drops exactly <paramref name="count"/> bytes.</summary>
    private static void Skip(Stream source, long count)
    {
        var buffer = new byte[81920];
        while (count > 0)
        {
            var read = source.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
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
