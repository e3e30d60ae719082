using System.Text;
using Kargo.Airgap.Sources;
using Kargo.Airgap.Sources.Releases;
using Kargo.Airgap.Spec;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Unit;

/// <summary>
/// A KubeVirt release's feature-gates.json (kubevirt/kubevirt tools/feature-gate-report, published
/// by automation/release.sh from v1.9.0) decides which gated images its virt-operator starts; the
/// version constants serve only the releases that publish none.
/// </summary>
public sealed class KubeVirtFeatureGatesTests
{
    private const string Url = "https://github.com/kubevirt/kubevirt/releases/download/v1.9.7/feature-gates.json";

    private static KubeVirtFeatureGates Parse(string json) => KubeVirtFeatureGates.Read(new MemoryStream(Encoding.UTF8.GetBytes(json)), Url);

    /// <summary>The v1.9.0 report with these gates' entries replaced (state null: left out, as the tool leaves out GA gates).</summary>
    private static KubeVirtFeatureGates V190With(params (string Gate, string? State)[] changes)
    {
        var entries = System.Text.Json.Nodes.JsonNode.Parse(ReleaseFixtures.Read(ReleaseFixtures.KubeVirtFeatureGatesJson))!.AsArray()
            .Select(e => (Name: (string)e!["name"]!, State: (string)e!["state"]!))
            .Where(e => changes.All(c => c.Gate != e.Name))
            .Concat(changes.Where(c => c.State is not null).Select(c => (Name: c.Gate, State: c.State!)));
        return Parse(System.Text.Json.JsonSerializer.Serialize(entries.Select(e => new { name = e.Name, state = e.State })));
    }

    private static string Operator(string version) => $"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {"{"}name: virt-operator, namespace: kubevirt{"}"}
        spec:
          template:
            spec:
              containers:
              - name: virt-operator
                image: quay.io/kubevirt/virt-operator:{version}
                env:
                - {"{"}name: VIRT_OPERATOR_IMAGE, value: "quay.io/kubevirt/virt-operator:{version}"{"}"}
                - {"{"}name: KUBEVIRT_VERSION, value: "{version}"{"}"}
        """;

    private static OperatorEmbeddedImages Embedded(string version)
    {
        var embedded = new OperatorEmbeddedImages();
        embedded.Add(Oci.ImageReference.Parse($"quay.io/kubevirt/virt-operator:{version}"),
            [Oci.ImageReference.Parse("quay.io/kubevirt/virt-template-apiserver:v0.2.9"), Oci.ImageReference.Parse("quay.io/kubevirt/virt-template-controller:v0.2.9")]);
        return embedded;
    }

    private static List<string> Found(string version, KubeVirtFeatureGates? states, string[]? gates = null, string[]? disabled = null)
    {
        var target = new KubeVirtTarget(null, null, new HashSet<string>(gates ?? []), new HashSet<string>(disabled ?? []), new HashSet<string>(), null, null, states);
        return [.. ManifestImages.Discover(Operator(version), "op", target, Embedded(version)).Select(i => i.Reference.Repository["kubevirt/".Length..])];
    }

    [Fact]
    public void The_v1_9_0_report_names_gates_by_state_and_leaves_ga_ones_out()
    {
        var states = KubeVirtFeatureGates.ReadFile(ReleaseFixtures.Path(ReleaseFixtures.KubeVirtFeatureGatesJson), Url);

        Assert.Equal(51, states.States.Count);
        Assert.Equal("Beta", states.StateOf("Template"));
        Assert.Equal("Alpha", states.StateOf("DecentralizedLiveMigration"));
        Assert.Equal("Alpha", states.StateOf("Sidecar"));
        Assert.Equal("Deprecated", states.StateOf("HotplugVolumes"));
        Assert.Null(states.StateOf("VMExport"));
        Assert.Null(states.StateOf("PersistentReservation"));
    }

    [Fact]
    public void With_its_own_report_v1_9_0_starts_what_the_constants_say_it_starts()
    {
        var states = KubeVirtFeatureGates.ReadFile(ReleaseFixtures.Path(ReleaseFixtures.KubeVirtFeatureGatesJson), Url);
        foreach (var (gates, disabled) in new (string[], string[])[] { ([], []), (["Sidecar", "DecentralizedLiveMigration"], []), ([], ["Template", "VMExport"]), (["PersistentReservation"], []) })
        {
            Assert.Equal(Found("v1.9.0", null, gates, disabled), Found("v1.9.0", states, gates, disabled));
        }
    }

    [Fact]
    public void A_release_whose_report_leaves_an_alpha_gate_out_as_ga_starts_its_image_without_the_gate()
    {
        // The constants call DecentralizedLiveMigration Alpha; v1.9.7's report, as the tool prints a GA gate, no longer names it.
        var ga = V190With(("DecentralizedLiveMigration", null));

        Assert.DoesNotContain("virt-synchronization-controller", Found("v1.9.7", null));
        Assert.Contains("virt-synchronization-controller", Found("v1.9.7", ga));
        Assert.Contains("virt-synchronization-controller", Found("v1.9.7", ga, disabled: ["DecentralizedLiveMigration"]));
        // A GA entry, should a later tool write one, means the same.
        Assert.Contains("virt-synchronization-controller", Found("v1.9.7", V190With(("DecentralizedLiveMigration", KubeVirtFeatureGates.GA))));
    }

    [Fact]
    public void A_release_whose_report_calls_template_alpha_starts_virt_template_only_when_the_gate_is_given()
    {
        var alpha = V190With(("Template", "Alpha"));

        Assert.Contains("virt-template-apiserver", Found("v1.9.7", null));
        Assert.DoesNotContain(Found("v1.9.7", alpha), i => i.StartsWith("virt-template", StringComparison.Ordinal));
        Assert.Contains("virt-template-controller", Found("v1.9.7", alpha, gates: ["Template"]));
        // Beta: on unless disabled; named in both lists, enabled wins (featuregate.IsEnabled at v1.9.0).
        Assert.DoesNotContain(Found("v1.9.7", V190With(), disabled: ["Template"]), i => i.StartsWith("virt-template", StringComparison.Ordinal));
        Assert.Contains("virt-template-controller", Found("v1.9.7", V190With(), gates: ["Template"], disabled: ["Template"]));
        // Deprecated and unknown states are on only when named, as IsEnabled has it.
        Assert.DoesNotContain(Found("v1.9.7", V190With(("Template", "Deprecated"))), i => i.StartsWith("virt-template", StringComparison.Ordinal));
        Assert.DoesNotContain(Found("v1.9.7", V190With(("Template", "Experimental"))), i => i.StartsWith("virt-template", StringComparison.Ordinal));
    }

    [Fact]
    public void Pr_helper_follows_the_gate_named_not_its_state()
    {
        // PersistentReservation is GA at v1.9.0 (absent from the report), yet config.go starts pr-helper only when featureGates names it.
        var states = V190With();

        Assert.DoesNotContain("pr-helper", Found("v1.9.7", states));
        Assert.Contains("pr-helper", Found("v1.9.7", states, gates: ["PersistentReservation"]));
    }

    [Theory]
    [InlineData("{\"name\": \"Template\", \"state\": \"Beta\"}", "its top level is a JSON object, not an array")]
    [InlineData("[{\"name\": \"Template\"}]", "entry 0 has no string name and state")]
    [InlineData("[{\"name\": \"Template\", \"state\": 2}]", "entry 0 has no string name and state")]
    [InlineData("[{\"name\": \"A\", \"state\": \"Beta\"}, {\"name\": \"A\", \"state\": \"Alpha\"}]", "it names the gate A twice")]
    [InlineData("| Feature Gate | State |\n|---|---|\n| Template | Beta |\n", "it is not JSON")]
    [InlineData("[{\"name\": \"Template\", \"state\": \"Beta\"", "it is not JSON")]
    public void A_malformed_report_is_an_error_naming_the_file_and_the_fix(string json, string why)
    {
        var error = Assert.Throws<KargoException>(() => Parse(json));

        Assert.StartsWith($"{Url}: not a feature-gates.json", error.Message);
        Assert.Contains(why, error.Message);
        Assert.Contains("then lock again", error.Message);
    }

    [Fact]
    public void Fields_other_than_name_and_state_are_ignored()
    {
        var states = Parse("[{\"name\": \"Template\", \"state\": \"Alpha\", \"since\": \"v1.8.0\", \"owner\": {\"sig\": \"compute\"}}]");

        Assert.Equal("Alpha", states.StateOf("Template"));
    }

    [Fact]
    public void A_report_over_one_mib_is_refused_after_reading_no_more_than_that()
    {
        var stream = new CountingStream(new byte[10 * 1024 * 1024]);

        var error = Assert.Throws<KargoException>(() => KubeVirtFeatureGates.Read(stream, Url));

        Assert.StartsWith($"{Url}: more than 1 MiB", error.Message);
        Assert.True(stream.Position <= KubeVirtFeatureGates.MaxBytes + 1, $"read {stream.Position} bytes");
        // Exactly the limit is read (and then judged as JSON).
        var padded = "[]" + new string(' ', KubeVirtFeatureGates.MaxBytes - 2);
        Assert.Empty(Parse(padded).States);
    }

    [Theory]
    [InlineData("v1.8.4", false)]
    [InlineData("v1.9.0-alpha.0", false)]
    [InlineData("v1.9.0-rc.0", false)]
    [InlineData("v1.9.0-rc.1", true)]
    [InlineData("v1.9.0", true)]
    [InlineData("v1.9.7", true)]
    [InlineData("v1.10.0-alpha.0", true)]
    [InlineData("main", false)]
    public void Releases_from_v1_9_0_publish_the_report_and_the_build_carries_it_as_a_file(string version, bool publishes)
    {
        Assert.Equal(publishes, KubeVirtRelease.PublishesFeatureGates(version));

        var (files, manifests) = new KubeVirtRelease().Assets(new SpecComponent(ComponentNames.KubeVirt, version, 3, []), ["amd64"], new ReleaseHosts(null));
        var file = files.SingleOrDefault(f => f.Name == KubeVirtRelease.FeatureGatesFile);
        Assert.Equal(publishes, file is not null);
        Assert.DoesNotContain(manifests, m => m.Source.EndsWith(".json", StringComparison.Ordinal));
        if (file is not null)
        {
            Assert.Equal($"https://github.com/kubevirt/kubevirt/releases/download/{version}/feature-gates.json", file.Source);
            Assert.Equal(ComponentNames.KubeVirt, file.Component);
        }
    }

    /// <summary>A stream of zeros that counts what was read.</summary>
    private sealed class CountingStream(byte[] content) : MemoryStream(content, writable: false);
}
