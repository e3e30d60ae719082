using System.Text.Json;
using Kargo.Airgap.Bundle;

namespace Kargo.Shared;

/// <summary>The "base" of a bundle by difference, as both programs print it in --json.</summary>
internal static class DiffBaseJson
{
    public static void Write(Utf8JsonWriter writer, InventoryBase? diffBase)
    {
        if (diffBase is null)
        {
            return;
        }
        writer.WriteStartObject("base");
        writer.WriteString("name", diffBase.Name);
        writer.WriteString("version", diffBase.Version);
        writer.WriteString("inventorySha256", diffBase.InventorySha256);
        writer.WriteNumber("entries", diffBase.Entries.Count);
        writer.WriteEndObject();
    }
}
