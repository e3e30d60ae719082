using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// Packaged Helm charts as 'helm package' writes them (a gzip tar of NAME/Chart.yaml, values.yaml,
/// templates/…), a chart repository's index.yaml, and the OCI artifact 'helm push' makes of a chart
/// (helm's pkg/registry: config application/vnd.cncf.helm.config.v1+json, one chart content layer).
/// </summary>
public static class TestCharts
{
    public static byte[] Package(string name, string version, string appVersion, string values, string? annotationImages = null, IReadOnlyDictionary<string, string>? files = null)
    {
        var chartYaml = new StringBuilder($"apiVersion: v2\nname: {name}\nversion: {version}\nappVersion: \"{appVersion}\"\ntype: application\n");
        if (annotationImages is not null)
        {
            chartYaml.Append("annotations:\n  artifacthub.io/images: |\n").Append(string.Concat(annotationImages.Split('\n').Select(l => $"    {l}\n")));
        }
        var entries = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [$"{name}/Chart.yaml"] = chartYaml.ToString(),
            [$"{name}/values.yaml"] = values,
            [$"{name}/templates/deployment.yaml"] = "# rendered by helm; the stand-in helm prints its own\n",
        };
        foreach (var (path, text) in files ?? new Dictionary<string, string>())
        {
            entries[$"{name}/{path}"] = text;
        }
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            foreach (var (path, text) in entries)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });
            }
        }
        return output.ToArray();
    }

    /// <summary>A repository index listing one version at a URL relative to the repository, with the archive's digest.</summary>
    public static string Index(string name, string version, byte[] archive, string url) => $"""
        apiVersion: v1
        entries:
          {name}:
            - name: {name}
              version: {version}
              digest: {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(archive))}
              urls:
                - {url}
            - name: {name}
              version: 0.0.1
              urls: [{name}-0.0.1.tgz]
        generated: "2026-11-01T00:00:00Z"
        """;

    /// <summary>The chart as 'helm push' stores it: an OCI manifest whose config is the chart's metadata and whose one layer is the archive.</summary>
    public static TestImage OciArtifact(string name, string version, byte[] archive)
    {
        var config = new TestBlob(MediaTypes.HelmConfig, Encoding.UTF8.GetBytes($$"""{"name":"{{name}}","version":"{{version}}","apiVersion":"v2"}"""));
        var layer = new TestBlob(MediaTypes.HelmChartContent, archive);
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = Descriptor(config),
            ["layers"] = new JsonArray(Descriptor(layer)),
        };
        return new TestImage(MediaTypes.OciManifest, Encoding.UTF8.GetBytes(manifest.ToJsonString()), [config, layer], []);
    }

    private static JsonObject Descriptor(TestBlob blob) => new() { ["mediaType"] = blob.MediaType, ["digest"] = blob.Digest.ToString(), ["size"] = blob.Content.Length };

    /// <summary>
    /// A stand-in for helm (not helm): records every call's arguments and the values file it was given
    /// in RECORD, and for 'template RELEASE …' prints the manifest file RENDERED/RELEASE.yaml.
    /// </summary>
    public static string StandInHelm(string folder, string record, string rendered)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "helm");
        File.WriteAllText(path, $$"""
            #!/bin/sh
            # Stand-in for helm in tests: records its arguments, prints a prepared rendering.
            echo "ARGS $*" >> '{{record}}'
            values=''
            previous=''
            for word in "$@"; do
              [ "$previous" = "--values" ] && values="$word"
              previous="$word"
            done
            [ -n "$values" ] && { echo "VALUES"; cat "$values"; echo "END"; } >> '{{record}}'
            [ "$1" = template ] || exit 0
            cat '{{rendered}}'/"$2".yaml
            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
