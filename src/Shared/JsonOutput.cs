using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Kargo.Shared;

/// <summary>A command's --json result: a typed record, indented, one document, a newline after it.</summary>
internal static class JsonOutput
{
    public static string Of<T>(T result, JsonTypeInfo<T> type) => JsonSerializer.Serialize(result, type) + "\n";
}
