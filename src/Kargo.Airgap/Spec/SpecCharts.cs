using Kargo.Airgap.Oci;
using YamlDotNet.RepresentationModel;

namespace Kargo.Airgap.Spec;

/// <summary>Reads spec.charts: each entry checked with file:line, values kept as YAML text.</summary>
internal static class SpecCharts
{
    private const string OciScheme = "oci://";

    public static List<SpecChart> Read(NodeReader reader, YamlMappingNode spec, string specFile)
    {
        var charts = new List<SpecChart>();
        if (reader.Optional(spec, "charts") is not { } node)
        {
            return charts;
        }
        foreach (var item in reader.Sequence(node, "spec.charts"))
        {
            var entry = reader.Mapping(item, "an entry of spec.charts", "name", "version", "repo", "oci", "namespace", "releaseName", "values", "valuesFile");
            var name = reader.RequiredScalar(entry, "spec.charts[]", "name");
            if (!Names.ChartName().IsMatch(name.Value))
            {
                throw reader.Error(name.Node, $"chart name '{name.Value}' must be lowercase letters, digits and '-' (as the chart's Chart.yaml names it)");
            }
            var version = reader.RequiredScalar(entry, "spec.charts[]", "version");
            if (!Names.ChartVersion().IsMatch(version.Value))
            {
                throw reader.Error(version.Node, $"chart version '{version.Value}' is not a chart version such as 1.16.2 (a range or 'latest' would not be reproducible: pin one version)");
            }
            var chart = new SpecChart(name.Value, version.Value, (int)item.Start.Line)
            {
                ReleaseName = Release(reader, entry) ?? name.Value,
                Namespace = Namespace(reader, entry) ?? "default",
                Values = Values(reader, entry, specFile),
            };
            chart = WithSource(reader, entry, item, chart);
            if (charts.FirstOrDefault(c => c.ReleaseName == chart.ReleaseName) is { } earlier)
            {
                throw reader.Error(item, $"release '{chart.ReleaseName}' is installed by the chart at line {earlier.Line} already; give one of them another releaseName:");
            }
            if (charts.FirstOrDefault(c => c.ArchiveName == chart.ArchiveName) is { } same)
            {
                throw reader.Error(item, $"chart {chart.Name} {chart.Version} is listed at line {same.Line} already: install it once, or as two releases from one entry each with its own name");
            }
            charts.Add(chart);
        }
        return charts;
    }

    private static SpecChart WithSource(NodeReader reader, YamlMappingNode entry, YamlNode item, SpecChart chart)
    {
        var repo = reader.OptionalScalar(entry, "repo");
        var oci = reader.OptionalScalar(entry, "oci");
        if ((repo is null) == (oci is null))
        {
            throw reader.Error(item, $"chart {chart.Name} needs exactly one of repo (an HTTP chart repository such as https://charts.jetstack.io) or oci (such as oci://ghcr.io/org/charts/{chart.Name})");
        }
        if (repo is { } r)
        {
            if (!Uri.TryCreate(r.Value, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            {
                throw reader.Error(r.Node, $"repo '{r.Value}' is not an http(s) chart repository URL (the URL 'helm repo add' takes); an OCI registry goes in oci: oci://HOST/PATH");
            }
            return chart with { Repo = r.Value.TrimEnd('/') };
        }
        var text = oci!.Value.Value;
        ImageReference? reference = null;
        if (text.StartsWith(OciScheme, StringComparison.Ordinal))
        {
            try
            {
                reference = ImageReference.Parse(text[OciScheme.Length..]);
            }
            catch (KargoException)
            {
                // Named below with the fix.
            }
        }
        if (reference is null || reference.Digest is not null || text.EndsWith(":" + reference.Tag, StringComparison.Ordinal) || !text[OciScheme.Length..].Contains('/'))
        {
            throw reader.Error(oci.Value.Node, $"oci '{text}' is not oci://HOST/PATH of a chart repository (without a tag: version: gives it)");
        }
        return chart with { Oci = reference };
    }

    private static string? Release(NodeReader reader, YamlMappingNode entry)
    {
        if (reader.OptionalScalar(entry, "releaseName") is not { } release)
        {
            return null;
        }
        return Names.ReleaseName().IsMatch(release.Value) ? release.Value
            : throw reader.Error(release.Node, $"releaseName '{release.Value}' is not a Helm release name (lowercase letters, digits and '-', at most 53, starting and ending with a letter or digit)");
    }

    private static string? Namespace(NodeReader reader, YamlMappingNode entry)
    {
        if (reader.OptionalScalar(entry, "namespace") is not { } ns)
        {
            return null;
        }
        return Names.Namespace().IsMatch(ns.Value) ? ns.Value
            : throw reader.Error(ns.Node, $"namespace '{ns.Value}' is not a Kubernetes namespace name (lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit)");
    }

    /// <summary>Inline values (a mapping) or valuesFile (a YAML mapping beside the spec), as YAML text.</summary>
    private static string? Values(NodeReader reader, YamlMappingNode entry, string specFile)
    {
        var inline = reader.Optional(entry, "values");
        var file = reader.OptionalScalar(entry, "valuesFile");
        if (inline is not null && file is not null)
        {
            throw reader.Error(inline, "give values or valuesFile, not both (put everything in the file)");
        }
        if (inline is not null)
        {
            if (inline is not YamlMappingNode mapping)
            {
                throw reader.Error(inline, "values must be a mapping, as in a values.yaml");
            }
            return Serialize(mapping);
        }
        if (file is not { } path)
        {
            return null;
        }
        var full = Path.GetFullPath(path.Value, Path.GetDirectoryName(Path.GetFullPath(specFile))!);
        if (!File.Exists(full))
        {
            throw reader.Error(path.Node, $"valuesFile {full} does not exist (a path is taken relative to the spec's folder)");
        }
        var stream = YamlText.Load(File.ReadAllText(full), full);
        if (stream.Documents.Count == 0)
        {
            return null;
        }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw reader.Error(path.Node, $"valuesFile {full} must hold one YAML mapping, as a values.yaml does");
        }
        return Serialize(root);
    }

    private static string Serialize(YamlMappingNode mapping)
    {
        using var writer = new StringWriter();
        new YamlStream(new YamlDocument(mapping)).Save(writer, assignAnchors: false);
        var text = writer.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text;
    }
}
