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
    public static YamlStream Load(string text, string file)
    {
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(text));
        try
        {
            stream.Load(parser);
            return stream;
        }
        catch (YamlException e)
        {
            throw new SpecException(file, (int)e.Start.Line, (int)e.Start.Column, $"not valid YAML: {e.InnerException?.Message ?? e.Message}");
        }
        catch (InvalidOperationException)
        {
            // The scanner gives no place: the last event it did read is where the trouble starts.
            var at = parser.Current?.End ?? Mark.Empty;
            throw new SpecException(file, (int)at.Line, (int)at.Column,
                "not valid YAML: the text after this point cannot be read (an unclosed { or [, or a quote?)");
        }
    }
}
