using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Kargo.Airgap.Spec;

/// <summary>
/// YAML read into nodes, every failure of YamlDotNet (its YamlException, and the
/// InvalidOperationException its scanner throws on some unclosed flow collections) turned into one
/// <c>FILE:LINE:COLUMN: not valid YAML: …</c> error.
/// </summary>
public static class YamlText
{
    private static readonly YamlDotNet.Serialization.ISerializer Serializer = new YamlDotNet.Serialization.SerializerBuilder()
        .WithQuotingNecessaryStrings()
        .Build();

    /// <summary>
    /// Writes documents (nested dictionaries and lists) as YAML through YamlDotNet, so a value with a
    /// colon, a quote or a newline stays a value; several documents are separated by <c>---</c> lines.
    /// </summary>
    public static string Write(params IEnumerable<object> documents) =>
        string.Join("---\n", documents.Select(Serializer.Serialize));

    /// <summary>A mapping for <see cref="Write"/>, its keys in the order given.</summary>
    public static Dictionary<string, object> Map(params (string Key, object Value)[] entries) =>
        entries.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);

    public static YamlStream Load(string text, string file)
    {
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(text));
        try
        {
            stream.Load(parser);
            return stream;
        }
        catch (YamlException e) when (FirstTabIndent(text) is { } tab && (e.InnerException?.Message ?? e.Message).Contains("tab", StringComparison.OrdinalIgnoreCase))
        {
            // YamlDotNet names the mapping the tab broke, often line 1: the tab itself is what to fix.
            throw new SpecException(file, tab.Line, tab.Column, "not valid YAML: a tab indents this line; YAML indents with spaces only");
        }
        catch (YamlException e)
        {
            throw new SpecException(file, (int)e.Start.Line, (int)e.Start.Column, $"not valid YAML: {e.InnerException?.Message ?? e.Message}");
        }
        catch (InvalidOperationException) when (FirstTabIndent(text) is { } tab)
        {
            throw new SpecException(file, tab.Line, tab.Column, "not valid YAML: a tab indents this line; YAML indents with spaces only");
        }
        catch (InvalidOperationException)
        {
            // The scanner gives no place: the last event it did read is where the trouble starts.
            var at = parser.Current?.End ?? Mark.Empty;
            throw new SpecException(file, (int)at.Line, (int)at.Column,
                "not valid YAML: the text after this point cannot be read (an unclosed { or [, or a quote?)");
        }
    }

    /// <summary>The first line whose indentation holds a tab, and the tab's column (1-based).</summary>
    private static (int Line, int Column)? FirstTabIndent(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            var tab = lines[i].IndexOf('\t', StringComparison.Ordinal);
            if (tab >= 0 && tab < indent)
            {
                return (i + 1, tab + 1);
            }
        }
        return null;
    }
}
