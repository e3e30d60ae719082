namespace Kargo.Airgap.Bundle;

/// <summary>Where a verifying pass puts entries: staged while streaming, kept only once checked.</summary>
public interface IEntrySink
{
    /// <summary>A stream to stage the entry's bytes in, or null when the content is already present (a shared blob).</summary>
    Stream? Open(InventoryEntry entry);

    /// <summary>The staged entry matched its size and sha256.</summary>
    void Accept(InventoryEntry entry);

    /// <summary>The staged entry did not match: discard it.</summary>
    void Reject(InventoryEntry entry);
}
