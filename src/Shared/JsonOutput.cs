using System.Text;
using System.Text.Json;

namespace Kargo.Shared;

/// <summary>A command's --json result: indented, one document, a newline after it.</summary>
internal static class JsonOutput
{
    public static string Of(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
