using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Kargo.Airgap.Oci;

/// <summary>An image platform: <c>os/architecture[/variant]</c>, as in <c>linux/arm64/v8</c>.</summary>
public sealed partial record Platform(
    [property: JsonPropertyName("os")] string Os,
    [property: JsonPropertyName("architecture")] string Architecture,
    [property: JsonPropertyName("variant"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Variant = null)
{
    public static readonly Platform LinuxAmd64 = new("linux", "amd64");

    /// <summary>This machine's architecture as image platforms name it (amd64, arm64, arm, 386, …).</summary>
    public static string HostArchitecture => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        var other => other.ToString().ToLowerInvariant(),
    };

    public static Platform Parse(string value)
    {
        var match = PlatformPattern().Match(value);
        if (!match.Success)
        {
            throw new KargoException($"invalid platform '{value}': expected os/architecture[/variant], such as linux/amd64 or linux/arm64");
        }
        var variant = match.Groups[3].Success ? match.Groups[3].Value : null;
        return new Platform(match.Groups[1].Value, match.Groups[2].Value, variant);
    }

    /// <summary>
    /// True when an index entry's platform is one this platform asks for. A platform without
    /// a variant takes every variant, so <c>linux/arm64</c> keeps <c>linux/arm64/v8</c>.
    /// </summary>
    public bool Matches(Platform candidate) =>
        Os == candidate.Os
        && Architecture == candidate.Architecture
        && (Variant is null || Variant == candidate.Variant);

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";

    [GeneratedRegex("^([a-z0-9]+)/([a-z0-9_]+)(?:/([a-z0-9]+))?\\z")]
    private static partial Regex PlatformPattern();
}
