using System.Text.Json.Serialization;
using Kargo.Airgap.Bundle;

namespace Kargo.Shared;

/// <summary>The "base" of a bundle by difference, as both programs print it in --json.</summary>
internal sealed record DiffBaseJson(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("inventorySha256")] string InventorySha256,
    [property: JsonPropertyName("entries")] int Entries)
{
    public static DiffBaseJson? Of(InventoryBase? diffBase) =>
        diffBase is null ? null : new(diffBase.Name, diffBase.Version, diffBase.InventorySha256, diffBase.Entries.Count);
}
