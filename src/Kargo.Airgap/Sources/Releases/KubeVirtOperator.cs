using System.Text.RegularExpressions;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources.Releases;

/// <summary>What the node's KubeVirt CR and the spec say about the images virt-operator will start.</summary>
/// <param name="ImageRegistry">The CR's spec.imageRegistry: replaces the registry (and prefix) of every derived image.</param>
/// <param name="ImageTag">The CR's spec.imageTag: replaces the tag and turns *_SHASUM digests off.</param>
/// <param name="Gates">Feature gates on: the spec's and the CR's developerConfiguration.featureGates.</param>
/// <param name="Disabled">The CR's developerConfiguration.disabledFeatureGates.</param>
/// <param name="Asked">spec.kubevirt.optionalComponents.</param>
/// <param name="SpecVersion">spec.kubevirt.version, when the operator's own image does not tell the release.</param>
/// <param name="Switches">The CR's spec.configuration.SWITCH.enabled values that are set (virtTemplateDeployment, persistentReservationConfiguration).</param>
/// <param name="GateStates">The release's own feature-gates.json (from v1.9.0): each gate's state; null for a release that publishes none.</param>
public sealed record KubeVirtTarget(
    string? ImageRegistry,
    string? ImageTag,
    IReadOnlySet<string> Gates,
    IReadOnlySet<string> Disabled,
    IReadOnlySet<string> Asked,
    string? SpecVersion,
    IReadOnlyDictionary<string, bool>? Switches = null,
    KubeVirtFeatureGates? GateStates = null)
{
    public static readonly KubeVirtTarget Default = new(null, null, new HashSet<string>(), new HashSet<string>(), new HashSet<string>(), null);
}

/// <summary>
/// The images a KubeVirt operator starts at run time, derived as virt-operator derives them
/// (kubevirt/kubevirt pkg/virt-operator/util/config.go, getConfig): its own image, from
/// VIRT_OPERATOR_IMAGE (else OPERATOR_IMAGE), is split by <c>^(.*)/(.*)virt-operator([@:].*)?$</c>
/// into registry, prefix and tag; a digest-pinned operator takes KUBEVIRT_VERSION as the tag. Each
/// component is then <c>REGISTRY/PREFIX+NAME:TAG</c> unless VIRT_&lt;NAME&gt;_IMAGE overrides it. Before
/// v1.7 a digest-pinned operator with VIRT_{API,CONTROLLER,HANDLER,LAUNCHER}_SHASUM uses digests
/// instead. The KubeVirt CR's imageRegistry and imageTag win over both. The released
/// kubevirt-operator.yaml names only virt-operator, so without this only virt-operator is bundled.
/// virt-template's images keep the tag the operator embeds; only registry and prefix are swapped
/// (resource/generate/components/virttemplate.go, replaceImageRegistryAndPrefix).
/// </summary>
public static partial class KubeVirtOperator
{
    private static readonly Version ShasumsDroppedIn = new(1, 7, 0);

    /// <summary>The images the operator of this environment starts, or nothing when the container is not virt-operator.</summary>
    /// <param name="env">The container's literal environment variables.</param>
    /// <param name="target">The CR's and spec's settings.</param>
    /// <param name="where">The container, for origins and errors.</param>
    /// <param name="embedded">What operator binaries embed; an operator not read yet leaves its embedded images out and is remembered there.</param>
    public static IEnumerable<(ImageReference Reference, string Origin, ImageRule Rule)> Images(IReadOnlyDictionary<string, string> env, KubeVirtTarget target, string where, OperatorEmbeddedImages embedded)
    {
        var variable = env.ContainsKey("VIRT_OPERATOR_IMAGE") ? "VIRT_OPERATOR_IMAGE" : "OPERATOR_IMAGE";
        if (!env.TryGetValue(variable, out var operatorImage) || OperatorImagePattern().Match(operatorImage) is not { Success: true } match)
        {
            yield break;
        }
        var kubeVirtVersion = env.GetValueOrDefault("KUBEVIRT_VERSION") is { Length: > 0 } v ? v : "latest";
        var (registry, prefix, suffix) = (match.Groups[1].Value, match.Groups[2].Value, match.Groups[3].Value);
        var operatorDigest = suffix.StartsWith('@') ? suffix[1..] : null;
        var tag = target.ImageTag ?? (suffix.Length == 0 ? "latest" : operatorDigest is null ? suffix[1..] : kubeVirtVersion);
        registry = target.ImageRegistry ?? registry;
        var release = KubeVirtComponents.ParseVersion(kubeVirtVersion) ?? KubeVirtComponents.ParseVersion(tag) ?? KubeVirtComponents.ParseVersion(target.SpecVersion);
        string[] required = ["VIRT_API_SHASUM", "VIRT_CONTROLLER_SHASUM", "VIRT_HANDLER_SHASUM", "VIRT_LAUNCHER_SHASUM"];
        var useShasums = (release is null || release < ShasumsDroppedIn) && target.ImageTag is null && operatorDigest is not null && required.All(env.ContainsKey);
        var derivation = $"{where}, derived from {variable} (registry {registry}, prefix '{prefix}', tag {tag})";

        ImageReference Parse(string text, string origin)
        {
            try
            {
                return ImageReference.Parse(text);
            }
            catch (KargoException e)
            {
                throw new KargoException($"{origin}: {e.Message}", e);
            }
        }

        // The binary that renders the install strategy: the operator the CR's registry and tag name, from v1.7.
        var strategyOperator = Parse(operatorImage, $"{where}, {variable}");
        if (useShasums)
        {
            yield return (Parse($"{registry}/{prefix}{KubeVirtComponents.Operator}@{operatorDigest}", derivation), derivation, ImageRule.KubeVirtShasum);
        }
        else if ((target.ImageRegistry is not null || target.ImageTag is not null) && (release is null || release >= ShasumsDroppedIn))
        {
            // From v1.7 the install-strategy job runs virt-operator under the CR's registry and tag, without the prefix.
            strategyOperator = Parse($"{registry}/{KubeVirtComponents.Operator}:{tag}", derivation);
            yield return (strategyOperator, derivation, ImageRule.KubeVirtOperator);
        }

        foreach (var component in KubeVirtComponents.Known.Where(c => c.Needed(release, target.Gates, target.Disabled, target.Asked, target.Switches, target.GateStates)))
        {
            if (component.Embedded)
            {
                if (env.GetValueOrDefault($"{component.Variable}_IMAGE") is { Length: > 0 } own)
                {
                    yield return (Parse(own, $"{where}, {component.Variable}_IMAGE"), $"{where}, variable {component.Variable}_IMAGE", ImageRule.Variable);
                }
                else if (embedded.Find(strategyOperator, component.Name, component.Gate ?? "none", $"{component.Variable}_IMAGE", where) is { } found)
                {
                    var pin = found.Digest is { } embeddedDigest ? $"@{embeddedDigest}" : $":{found.Tag}";
                    var origin = $"{where}; {component.Name}{pin} read from {VirtOperatorBinary.File} in {strategyOperator}, moved to registry {registry}, prefix '{prefix}'";
                    yield return (Parse($"{registry}/{prefix}{component.Name}{pin}", origin), origin, ImageRule.KubeVirtEmbedded);
                }
            }
            else if (useShasums)
            {
                // A digest-pinned operator without this component's digest would start an image with no version: nothing to carry.
                if (env.GetValueOrDefault($"{component.Variable}_SHASUM") is { } sha && Digest.TryParse(sha, out var digest))
                {
                    var origin = $"{where}, variable {component.Variable}_SHASUM";
                    yield return (Parse($"{registry}/{prefix}{component.Name}@{digest}", origin), origin, ImageRule.KubeVirtShasum);
                }
            }
            else if (env.GetValueOrDefault($"{component.Variable}_IMAGE") is { Length: > 0 } own)
            {
                yield return (Parse(own, $"{where}, {component.Variable}_IMAGE"), $"{where}, variable {component.Variable}_IMAGE", ImageRule.Variable);
            }
            else
            {
                yield return (Parse($"{registry}/{prefix}{component.Name}:{tag}", derivation), derivation, ImageRule.KubeVirtOperator);
            }
        }
    }

    [GeneratedRegex("^(.*)/(.*)virt-operator([@:].*)?\\z")]
    private static partial Regex OperatorImagePattern();
}
