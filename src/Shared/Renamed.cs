using System.CommandLine;

namespace Kargo.Shared;

/// <summary>
/// An option's old name, kept hidden for one release so scripts keep working: it still takes a
/// value, and using it prints one line naming the new spelling.
/// </summary>
internal sealed class Renamed<T>(string oldName, string newName)
{
    public Option<T> Option { get; } = new(oldName) { Hidden = true, Description = $"Deprecated: use {newName}" };

    /// <summary>Whether the old name was given on the command line, saying so on stderr when it was.</summary>
    public bool Used(ParseResult parse, TextWriter stderr)
    {
        if (parse.GetResult(Option) is not { Implicit: false })
        {
            return false;
        }
        stderr.WriteLine($"warning: {oldName} is deprecated and goes in a later release: use {newName}");
        return true;
    }
}
