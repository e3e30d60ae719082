namespace Kargo.Airgap.Bundle;

/// <summary>
/// What an entry path may be: relative, under a known top folder, no <c>.</c> or <c>..</c>
/// segments, only plain ASCII from a small safe set (so no two paths can meet under Unicode
/// normalisation), and no two paths a case-insensitive file system would see as one.
/// Checked before anything is written.
/// </summary>
public static class EntryPaths
{
    public static readonly IReadOnlySet<string> TopFolders = new HashSet<string>(StringComparer.Ordinal) { BundleLayout.OciFolder, BundleLayout.FilesFolder, BundleLayout.ManifestsFolder, BundleLayout.VmFolder, BundleLayout.SpecFolder, BundleLayout.BinFolder, BundleLayout.ChartsFolder };

    private const int MaxLength = 1024;

    /// <summary>The first problem with the inventory's paths, or null when all are safe.</summary>
    public static string? Problem(IReadOnlyList<InventoryEntry> entries)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var folders = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (ProblemWith(entry) is { } problem)
            {
                return $"entry '{Printable(entry.Path)}': {problem}";
            }
            var key = entry.Path.ToLowerInvariant();
            if (seen.TryGetValue(key, out var other))
            {
                return other == entry.Path
                    ? $"entry '{entry.Path}' is listed twice"
                    : $"entries '{other}' and '{entry.Path}' name the same file on a case-insensitive file system";
            }
            seen[key] = entry.Path;
            var slash = key.LastIndexOf('/');
            while (slash > 0)
            {
                folders.Add(key[..slash]);
                slash = key.LastIndexOf('/', slash - 1);
            }
        }
        var clash = seen.Keys.FirstOrDefault(folders.Contains);
        return clash is null ? null : $"entry '{seen[clash]}' is both a file and a folder of other entries";
    }

    private static string? ProblemWith(InventoryEntry entry)
    {
        var path = entry.Path;
        if (path.Length == 0 || path.Length > MaxLength)
        {
            return $"a path must have 1 to {MaxLength} characters";
        }
        if (path.StartsWith('/'))
        {
            return "an absolute path";
        }
        if (!path.All(IsSafe))
        {
            return "characters other than ASCII letters, digits and / . _ - + @ = , ~";
        }
        var segments = path.Split('/');
        if (segments.Any(s => s is "" or "." or ".."))
        {
            return "empty, '.' or '..' path segments";
        }
        if (segments.Length < 2 || !TopFolders.Contains(segments[0]))
        {
            return $"not under one of the bundle's folders ({string.Join(", ", TopFolders)})";
        }
        if (entry.Size < 0 || entry.Sha256.Length != 64 || !entry.Sha256.All(Uri.IsHexDigit) || entry.Sha256.Any(char.IsUpper))
        {
            return "a negative size or a sha256 that is not 64 lowercase hex digits";
        }
        if (segments is ["oci", "blobs", "sha256", var hex] && hex != entry.Sha256)
        {
            return "a blob whose file name is not its sha256";
        }
        return null;
    }

    private static bool IsSafe(char c) => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '+' or '@' or '=' or ',' or '~';

    private static string Printable(string text) => Terminal.Printable(text);
}
