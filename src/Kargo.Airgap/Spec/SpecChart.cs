using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Spec;

/// <summary>
/// One entry of spec.charts: a Helm chart by name and version, from an HTTP chart repository
/// (found through its index.yaml) or an OCI registry, installed as a release with these values.
/// </summary>
/// <param name="Name">The chart's name (Chart.yaml name; the repository's index key).</param>
/// <param name="Version">The chart version (semantic version, as published).</param>
/// <param name="Line">Where it stands in the spec.</param>
public sealed record SpecChart(string Name, string Version, int Line)
{
    /// <summary>An HTTP(S) chart repository, such as https://charts.jetstack.io.</summary>
    public string? Repo { get; init; }

    /// <summary>An OCI repository holding the chart (oci://HOST/PATH), without tag or digest.</summary>
    public ImageReference? Oci { get; init; }

    /// <summary>The namespace the release goes to (helm's default: default).</summary>
    public string Namespace { get; init; } = "default";

    /// <summary>The Helm release name (default: the chart's name).</summary>
    public required string ReleaseName { get; init; }

    /// <summary>The values as YAML (inline values, or the content of valuesFile), or null for the chart's defaults.</summary>
    public string? Values { get; init; }

    /// <summary>The chart as the lock keys it: where it comes from, its name and version.</summary>
    public string Source => Repo ?? $"oci://{Oci!.Name}";

    /// <summary>The OCI tag helm publishes a version under: '+' is not allowed in a tag, so it becomes '_'.</summary>
    public ImageReference OciTagged => ImageReference.Parse($"{Oci!.Name}:{Version.Replace('+', '_')}");

    /// <summary>charts/NAME-VERSION.tgz's file name.</summary>
    public string ArchiveName => $"{Name}-{Version}.tgz";

    public override string ToString() => $"chart {Name} {Version} from {Source}";
}
