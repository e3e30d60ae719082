using System.Text.RegularExpressions;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// The release manifests of Fixtures/Releases: each reproduces the shape of a file an upstream
/// release publishes and names, in its first comment, the upstream file and tag it follows.
/// JSON has no comments: <see cref="KubeVirtFeatureGatesJson"/> says here what it follows.
/// </summary>
public static partial class ReleaseFixtures
{
    public const string KubeVirtOperator = "kubevirt-v1.3.0-kubevirt-operator.yaml";
    public const string KubeVirtCr = "kubevirt-v1.3.0-kubevirt-cr.yaml";

    /// <summary>
    /// Stands in for feature-gates.json of github.com/kubevirt/kubevirt release v1.9.0, which
    /// automation/release.sh writes with <c>make feature-gate-report FEATURE_GATE_REPORT_ARGS="--output-format=json …"</c>:
    /// tools/feature-gate-report at v1.9.0 prints every gate pkg/virt-config/featuregate (active.go,
    /// inactive.go) registers, except GA and Discontinued ones, as json.MarshalIndent of
    /// <c>[{"name", "state"}]</c> sorted by state then name, and a newline. Reproduced from those
    /// registrations at v1.9.0 (51 of 84 gates): Template Beta, DecentralizedLiveMigration and Sidecar
    /// Alpha; VMExport and PersistentReservation GA, so absent. Not compared with the published asset's bytes.
    /// </summary>
    public const string KubeVirtFeatureGatesJson = "kubevirt-v1.9.0-feature-gates.json";
    public const string CdiOperator = "cdi-v1.59.0-cdi-operator.yaml";
    public const string CdiCr = "cdi-v1.59.0-cdi-cr.yaml";
    public const string CertManager = "cert-manager-v1.15.3-cert-manager.yaml";
    public const string CnaoNamespace = "cnao-v0.93.0-namespace.yaml";
    public const string CnaoCrd = "cnao-v0.93.0-network-addons-config.crd.yaml";
    public const string CnaoOperator = "cnao-v0.93.0-operator.yaml";
    public const string HppNamespace = "hpp-v0.17.0-namespace.yaml";
    public const string HppWebhook = "hpp-v0.17.0-webhook.yaml";
    public const string HppOperator = "hpp-v0.17.0-operator.yaml";

    public static string Read(string name) => File.ReadAllText(Path(name));

    /// <summary>Where the fixture is, beside the tests.</summary>
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "Releases", name);

    /// <summary>Every image reference on an upstream host the fixture text names (in images, variables and arguments).</summary>
    public static IEnumerable<Match> References(string text) => UpstreamReference().Matches(text);

    /// <summary>HOST/REPOSITORY followed by :TAG or @sha256:HEX, for the hosts the fixtures' images live on.</summary>
    [GeneratedRegex(@"\b(quay\.io|ghcr\.io|registry\.k8s\.io)/([a-z0-9][a-z0-9._/-]*[a-z0-9])(?::([A-Za-z0-9_][A-Za-z0-9_.-]*)|@(sha256:[a-f0-9]{64}))")]
    private static partial Regex UpstreamReference();
}
