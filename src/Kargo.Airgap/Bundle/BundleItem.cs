using System.Security.Cryptography;

namespace Kargo.Airgap.Bundle;

/// <summary>One entry to write into a bundle: small content in memory, or a file streamed from disk.</summary>
public sealed record BundleItem(string Path, long Size, string Sha256, byte[]? Content, string? SourceFile, int Mode = BundleItem.RegularMode)
{
    /// <summary>
    /// A download of this build, whose bytes were hashed as they arrived: completes true when it
    /// wrote them into the bundle itself (the writer steps over them), false when they are in
    /// <see cref="SourceFile"/> to copy without hashing again. Null for a file that was there
    /// before, which is hashed again as it is copied.
    /// </summary>
    public Task<bool>? Downloading { get; init; }

    public const int RegularMode = 0b110_100_100;

    public static BundleItem FromBytes(string path, byte[] content) =>
        new(path, content.Length, Convert.ToHexStringLower(SHA256.HashData(content)), content, null);

    /// <summary>A file whose sha256 is known already (a cached blob): it is checked again as it is copied.</summary>
    public static BundleItem FromFile(string path, string sourceFile, long size, string sha256) =>
        new(path, size, sha256, null, sourceFile);

    public InventoryEntry ToEntry() => new(Path, Size, Sha256);
}
