using Kargo.Airgap.Spec;
using YamlDotNet.RepresentationModel;

namespace Kargo.Airgap.Sources.Charts;

/// <summary>
/// A chart repository's index.yaml (entries: NAME: [{version, urls, digest}]): where one version's
/// archive is. A relative URL is resolved against the repository URL, as helm does.
/// </summary>
public static class ChartRepositoryIndex
{
    public static string IndexUrl(string repo) => repo.TrimEnd('/') + "/index.yaml";

    /// <summary>The archive URL of the version and the sha256 the index gives for it (null when it gives none).</summary>
    /// <param name="indexYaml">The repository's index.yaml.</param>
    /// <param name="chart">The chart and version, and the repository (the base of relative URLs).</param>
    /// <param name="absolute">Maps a URL the index gives absolutely (on another host: a release mirror's copy of it).</param>
    public static (string Url, string? Sha256) Find(string indexYaml, SpecChart chart, Func<string, string>? absolute = null)
    {
        var index = IndexUrl(chart.Repo!);
        var stream = YamlText.Load(indexYaml, index);
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root
            || !root.Children.TryGetValue(new YamlScalarNode("entries"), out var entriesNode) || entriesNode is not YamlMappingNode entries)
        {
            throw new KargoException($"{index} is not a chart repository index (no entries:); check repo: for {chart}");
        }
        if (!entries.Children.TryGetValue(new YamlScalarNode(chart.Name), out var versionsNode) || versionsNode is not YamlSequenceNode versions)
        {
            throw new KargoException($"{index} has no chart named {chart.Name}; check name: and repo:");
        }
        var listed = versions.Children.OfType<YamlMappingNode>().ToList();
        var entry = listed.FirstOrDefault(v => Scalar(v, "version") == chart.Version)
            ?? throw new KargoException($"{index} has no version {chart.Version} of {chart.Name}; it lists {string.Join(", ", listed.Select(v => Scalar(v, "version")).OfType<string>().Take(8).Select(Terminal.Printable))}{(listed.Count > 8 ? ", …" : "")}");
        var url = entry.Children.TryGetValue(new YamlScalarNode("urls"), out var urls) && urls is YamlSequenceNode list
            ? list.Children.OfType<YamlScalarNode>().Select(u => u.Value).FirstOrDefault(u => !string.IsNullOrEmpty(u))
            : null;
        if (url is null)
        {
            throw new KargoException($"{index}: {chart.Name} {chart.Version} lists no download URL");
        }
        var digest = Scalar(entry, "digest")?.ToLowerInvariant();
        var resolved = Resolve(chart.Repo!, url);
        var isAbsolute = Uri.TryCreate(url, UriKind.Absolute, out _);
        return (isAbsolute && absolute is not null ? absolute(resolved) : resolved, digest is not null && Names.Sha256().IsMatch(digest) ? digest : null);
    }

    /// <summary>An absolute URL as it is; a relative one against the repository URL with a trailing slash.</summary>
    public static string Resolve(string repo, string url)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https")
        {
            return absolute.ToString();
        }
        if (Uri.TryCreate(url, UriKind.Absolute, out _))
        {
            throw new KargoException($"{IndexUrl(repo)} gives '{Terminal.Printable(url)}' as a chart URL, which is not http(s)");
        }
        return new Uri(new Uri(repo.TrimEnd('/') + "/"), url).ToString();
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode scalar ? scalar.Value : null;
}
