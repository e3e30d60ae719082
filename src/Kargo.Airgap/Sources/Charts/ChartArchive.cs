using System.Formats.Tar;
using System.IO.Compression;

namespace Kargo.Airgap.Sources.Charts;

/// <summary>
/// What image discovery reads of a packaged chart (.tgz) without unpacking it: the top chart's
/// Chart.yaml and values.yaml, and the values.yaml of each subchart unpacked under charts/.
/// </summary>
public sealed record ChartArchive(string ChartYaml, string? Values, IReadOnlyList<(string Name, string Values)> Subcharts)
{
    /// <summary>More than any real Chart.yaml or values.yaml: a bigger one is refused rather than read into memory.</summary>
    private const long MaxFileSize = 8 << 20;

    public static ChartArchive Read(string path, string shownAs)
    {
        string? chartYaml = null, values = null;
        var subcharts = new List<(string, string)>();
        try
        {
            using var file = File.OpenRead(path);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                {
                    continue;
                }
                var parts = entry.Name.Split('/');
                var wanted = parts switch
                {
                    [_, "Chart.yaml"] or [_, "values.yaml"] => true,
                    [_, "charts", _, "values.yaml"] => true,
                    _ => false,
                };
                if (!wanted)
                {
                    continue;
                }
                if (entry.Length > MaxFileSize)
                {
                    throw new KargoException($"{shownAs}: {Terminal.Printable(entry.Name)} is {entry.Length} bytes, more than a chart's file should be");
                }
                var text = new StreamReader(entry.DataStream).ReadToEnd();
                switch (parts)
                {
                    case [_, "Chart.yaml"]:
                        chartYaml ??= text;
                        break;
                    case [_, "values.yaml"]:
                        values ??= text;
                        break;
                    default:
                        subcharts.Add((parts[2], text));
                        break;
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new KargoException($"{shownAs} is not a packaged Helm chart (a gzip-compressed tar): {e.Message}", e);
        }
        return chartYaml is null
            ? throw new KargoException($"{shownAs} holds no CHART/Chart.yaml: it is not a packaged Helm chart")
            : new ChartArchive(chartYaml, values, subcharts);
    }
}
