using System.Text;
using System.Text.Json;

namespace Kargo.Airgap.Sources.Releases;

/// <summary>
/// The feature gate states a KubeVirt release publishes about itself: its release asset
/// <c>feature-gates.json</c>, which kubevirt/kubevirt's automation/release.sh builds from v1.9.0
/// (<c>make feature-gate-report FEATURE_GATE_REPORT_ARGS="--output-format=json --output-file=…/feature-gates.json"</c>)
/// with tools/feature-gate-report: a JSON array of <c>{"name": GATE, "state": STATE}</c>, STATE the
/// string of pkg/virt-config/featuregate's State (Alpha, Beta, Deprecated), sorted by state then name.
/// At v1.9.0 the tool leaves out every gate whose state is GA ("General Availability") or Discontinued.
/// </summary>
public sealed class KubeVirtFeatureGates
{
    /// <summary>The release asset's name (automation/release.sh at v1.9.0, update_github_release).</summary>
    public const string Asset = "feature-gates.json";

    /// <summary>More than this is no feature gate report (v1.9.0's is about 4 KiB): a hostile or wrong file.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>pkg/virt-config/featuregate at v1.9.0: the State strings.</summary>
    public const string Alpha = "Alpha", Beta = "Beta", GA = "General Availability", Deprecated = "Deprecated", Discontinued = "Discontinued";

    private readonly Dictionary<string, string> _states;

    private KubeVirtFeatureGates(Dictionary<string, string> states, string source)
    {
        _states = states;
        Source = source;
    }

    /// <summary>Where the file was read from (its URL).</summary>
    public string Source { get; }

    /// <summary>Each gate the file names, with its state as written.</summary>
    public IReadOnlyDictionary<string, string> States => _states;

    /// <summary>The gate's state as the file writes it, or null when the file does not name it.</summary>
    public string? StateOf(string gate) => _states.GetValueOrDefault(gate);

    /// <summary>
    /// Whether virt-operator of this release takes the gate as on, as pkg/virt-config/featuregate
    /// IsEnabled does at v1.9.0: GA on; else named in featureGates on; else in disabledFeatureGates
    /// off; else on only when Beta (Alpha, Deprecated and Discontinued: off). A gate the file does not
    /// name is one the report leaves out, GA or Discontinued: a feature whose gate is discontinued is on
    /// by default or removed (docs/deprecation.md), so it is taken as GA and its image carried.
    /// </summary>
    public bool IsEnabled(string gate, IReadOnlySet<string> gates, IReadOnlySet<string> disabled)
    {
        if (StateOf(gate) is not { } state || state == GA || state == "GA")
        {
            return true;
        }
        if (gates.Contains(gate))
        {
            return true;
        }
        return !disabled.Contains(gate) && state == Beta;
    }

    /// <summary>Reads a downloaded feature-gates.json (its file in the cache), at most <see cref="MaxBytes"/>.</summary>
    public static KubeVirtFeatureGates ReadFile(string path, string source)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, source);
    }

    /// <summary>Parses a feature-gates.json, reading at most <see cref="MaxBytes"/> of the stream; fields other than name and state are ignored.</summary>
    /// <param name="stream">The file's bytes.</param>
    /// <param name="source">Its URL, for errors.</param>
    public static KubeVirtFeatureGates Read(Stream stream, string source)
    {
        var buffer = new byte[MaxBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
        {
            length += read;
        }
        if (length > MaxBytes)
        {
            throw new KargoException($"{source}: more than {MaxBytes >> 20} MiB, so it is not the feature-gates.json KubeVirt's tools/feature-gate-report writes (a few KiB); " +
                "check that the release mirror serves the release's own file, then lock again");
        }
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(buffer.AsMemory(0, length), new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw Malformed(source, $"its top level is a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an array");
            }
            var index = 0;
            foreach (var entry in document.RootElement.EnumerateArray())
            {
                var name = entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
                var state = entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("state", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
                if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(state))
                {
                    throw Malformed(source, $"entry {index} has no string name and state");
                }
                if (!states.TryAdd(name, state))
                {
                    throw Malformed(source, $"it names the gate {Terminal.Printable(name)} twice");
                }
                index++;
            }
        }
        catch (JsonException e)
        {
            throw Malformed(source, $"it is not JSON ({Terminal.Printable(e.Message)})", e);
        }
        catch (DecoderFallbackException e)
        {
            throw Malformed(source, "it is not UTF-8 text", e);
        }
        return new KubeVirtFeatureGates(states, source);
    }

    private static KargoException Malformed(string source, string why, Exception? inner = null)
    {
        var message = $"{source}: not a feature-gates.json as KubeVirt's tools/feature-gate-report writes it (a JSON array of {{\"name\": GATE, \"state\": STATE}}): {why}; " +
            "check that the release mirror serves the release's own file, then lock again (kargo-bundle lock fetches it anew)";
        return inner is null ? new KargoException(message) : new KargoException(message, inner);
    }
}
