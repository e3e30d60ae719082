namespace Kargo.Airgap.Sources.Releases;

/// <summary>
/// One image virt-operator starts (or hands to virt-controller / virtctl), as kubevirt/kubevirt
/// names it in pkg/virt-operator/util/config.go (the VIRT_&lt;NAME&gt;_IMAGE override and, before
/// v1.7, VIRT_&lt;NAME&gt;_SHASUM) and pkg/virt-operator/resource/generate/components (the name).
/// </summary>
/// <param name="Name">The image name after the registry and prefix: virt-api.</param>
/// <param name="Variable">The prefix of its variables: VIRT_API (VIRT_API_IMAGE, VIRT_API_SHASUM).</param>
/// <param name="Since">The first release that starts it.</param>
/// <param name="Gate">The feature gate it needs in the KubeVirt CR; null when always started.</param>
/// <param name="AlwaysFrom">For a release that publishes no feature-gates.json (before v1.9.0) only: the release from which the gate is GA and the image always started.</param>
/// <param name="DefaultOnFrom">For a release that publishes no feature-gates.json (before v1.9.0) only: the release from which the gate is Beta, on unless disabledFeatureGates names it.</param>
/// <param name="OnlyWhenAsked">Started by a virtctl command, never by a gate: carried only when the spec asks.</param>
/// <param name="Embedded">The operator embeds the image with its own tag rather than deriving it (<see cref="VirtOperatorBinary"/>).</param>
/// <param name="Switch">The KubeVirt CR's spec.configuration.SWITCH.enabled that also decides it (pkg/virt-operator/util/config.go, GetTargetConfigFromKV).</param>
/// <param name="SwitchAlone">Set, the switch decides alone (persistentReservationConfiguration); otherwise it can only turn a gated image off (virtTemplateDeployment).</param>
/// <param name="GateListed">The operator asks whether featureGates names the gate, not whether the gate is on (pr-helper: pkg/virt-operator/util/config.go at v1.9.0, slices.Contains), so its state does not matter.</param>
public sealed record KubeVirtComponent(
    string Name,
    string Variable,
    Version? Since = null,
    string? Gate = null,
    Version? AlwaysFrom = null,
    Version? DefaultOnFrom = null,
    bool OnlyWhenAsked = false,
    bool Embedded = false,
    string? Switch = null,
    bool SwitchAlone = false,
    bool GateListed = false)
{
    public bool IsOptional => Gate is not null || OnlyWhenAsked;

    /// <summary>
    /// Whether a KubeVirt of <paramref name="version"/> (null: unknown, taken as the newest) starts it with these gates and the CR's spec.configuration switches that are set.
    /// With the release's <paramref name="states"/> (its feature-gates.json, from v1.9.0) the gate's state is read from them;
    /// without, from <see cref="AlwaysFrom"/> and <see cref="DefaultOnFrom"/>.
    /// </summary>
    public bool Needed(Version? version, IReadOnlySet<string> gates, IReadOnlySet<string> disabled, IReadOnlySet<string> asked, IReadOnlyDictionary<string, bool>? switches = null, KubeVirtFeatureGates? states = null)
    {
        if (version is not null && Since is not null && version < Since)
        {
            return false;
        }
        if (asked.Contains(Name) || asked.Contains(KubeVirtComponents.All))
        {
            return true;
        }
        if (OnlyWhenAsked)
        {
            return false;
        }
        if (Switch is not null && switches?.TryGetValue(Switch, out var on) == true && (SwitchAlone || !on))
        {
            return on;
        }
        if (Gate is null || gates.Contains(Gate))
        {
            return true;
        }
        if (GateListed)
        {
            return false;
        }
        if (states is not null)
        {
            // What the release says about itself wins over what the constants below say about releases before v1.9.0.
            return states.IsEnabled(Gate, gates, disabled);
        }
        if (AlwaysFrom is not null && (version is null || version >= AlwaysFrom))
        {
            return true;
        }
        return DefaultOnFrom is not null && (version is null || version >= DefaultOnFrom) && !disabled.Contains(Gate);
    }
}

/// <summary>
/// Every image a KubeVirt release's virt-operator can start, read from kubevirt/kubevirt at
/// v1.3.0 through v1.9.0 (pkg/virt-operator/util/config.go, resource/apply/reconcile.go,
/// pkg/virt-config/featuregate). Whether a gate is GA or Beta in a release is read from the
/// release's own feature-gates.json (<see cref="KubeVirtFeatureGates"/>, published from v1.9.0);
/// the AlwaysFrom and DefaultOnFrom versions here serve only the releases before it, which publish
/// none, and never a release newer than those. What a release embeds (virt-template's tag) is read from the
/// release's own operator binary, never kept here by version. virt-operator itself is derived the same way when the KubeVirt CR
/// moves the registry or tag (its install-strategy job runs it).
/// </summary>
public static class KubeVirtComponents
{
    /// <summary>spec.kubevirt.optionalComponents: every optional image.</summary>
    public const string All = "all";

    public const string Operator = "virt-operator";

    private static readonly Version V1_6 = new(1, 6, 0);
    private static readonly Version V1_8 = new(1, 8, 0);
    private static readonly Version V1_9 = new(1, 9, 0);

    /// <summary>spec.configuration.virtTemplateDeployment (kubevirt.io/api core/v1 types.go, from v1.8.0).</summary>
    public const string VirtTemplateDeployment = "virtTemplateDeployment";

    /// <summary>spec.configuration.persistentReservationConfiguration (kubevirt.io/api core/v1 types.go, from v1.9.0).</summary>
    public const string PersistentReservationConfiguration = "persistentReservationConfiguration";

    public static readonly IReadOnlyList<KubeVirtComponent> Known =
    [
        new("virt-api", "VIRT_API"),
        new("virt-controller", "VIRT_CONTROLLER"),
        new("virt-handler", "VIRT_HANDLER"),
        new("virt-launcher", "VIRT_LAUNCHER"),
        new("virt-exportproxy", "VIRT_EXPORTPROXY", Gate: "VMExport", AlwaysFrom: V1_9),
        new("virt-exportserver", "VIRT_EXPORTSERVER", Gate: "VMExport", AlwaysFrom: V1_9),
        new("virt-synchronization-controller", "VIRT_SYNCHRONIZATIONCONTROLLER", Since: V1_6, Gate: "DecentralizedLiveMigration"),
        new("virt-template-apiserver", "VIRT_TEMPLATE_APISERVER", Since: V1_8, Gate: "Template", DefaultOnFrom: V1_9, Embedded: true, Switch: VirtTemplateDeployment),
        new("virt-template-controller", "VIRT_TEMPLATE_CONTROLLER", Since: V1_8, Gate: "Template", DefaultOnFrom: V1_9, Embedded: true, Switch: VirtTemplateDeployment),
        new("sidecar-shim", "SIDECAR_SHIM", Gate: "Sidecar"),
        new("pr-helper", "PR_HELPER", Gate: "PersistentReservation", Switch: PersistentReservationConfiguration, SwitchAlone: true, GateListed: true),
        new("libguestfs-tools", "GS", OnlyWhenAsked: true),
    ];

    /// <summary>The names spec.kubevirt.optionalComponents accepts.</summary>
    public static IEnumerable<string> OptionalNames => [All, .. Known.Where(c => c.IsOptional).Select(c => c.Name)];

    /// <summary>v1.9.0 as a version; null for a tag that is not a release (latest, a digest, a build of one's own).</summary>
    public static Version? ParseVersion(string? text)
    {
        if (text is null || !text.StartsWith('v'))
        {
            return null;
        }
        var end = text.IndexOfAny(['-', '+']);
        return Version.TryParse(end < 0 ? text[1..] : text[1..end], out var version) && version.Build >= 0 ? version : null;
    }
}
