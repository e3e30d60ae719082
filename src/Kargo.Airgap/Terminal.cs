namespace Kargo.Airgap;

/// <summary>Text from a bundle, a registry or a user as it may reach a terminal or a log.</summary>
public static class Terminal
{
    /// <summary>Control characters (newlines, ANSI escapes) shown as '?'.</summary>
    public static string Printable(string text) => new([.. text.Select(c => char.IsControl(c) ? '?' : c)]);
}
