using Kargo.Airgap.Oci;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Tests.Unit;

public sealed class SpecLoaderTests
{
    private static BundleSpec Parse(string yaml) => SpecLoader.Parse(yaml, "bundle-specs/demo.yaml");

    private static SpecException Fails(string yaml) => Assert.Throws<SpecException>(() => Parse(yaml));

    [Fact]
    public void Reads_metadata_platforms_and_images_with_their_lines()
    {
        var spec = Parse("""
            apiVersion: kargo.dev/v1alpha1
            kind: Bundle
            metadata:
              name: kargo-homelab
              version: 0.1.0
            spec:
              platforms: [linux/amd64, linux/arm64]
              images:
                - busybox:1.36
                - quay.io/kubevirt/virt-operator:v1.3.0
            """);
        Assert.Equal("kargo-homelab", spec.Name);
        Assert.Equal("0.1.0", spec.Version);
        Assert.Equal([Platform.Parse("linux/amd64"), Platform.Parse("linux/arm64")], spec.Platforms);
        Assert.Equal(["docker.io/library/busybox:1.36", "quay.io/kubevirt/virt-operator:v1.3.0"], spec.Images.Select(i => i.Reference.ToString()));
        Assert.Equal([9, 10], spec.Images.Select(i => i.Line));
    }

    [Fact]
    public void A_manifest_entry_may_name_the_namespace_of_its_objects_and_it_must_be_a_namespace_name()
    {
        var spec = Parse("""
            metadata: {name: demo, version: "1"}
            spec:
              manifests:
                - {url: "https://example.com/operator.yaml", name: hpp-operator.yaml, namespace: hostpath-provisioner}
                - local.yaml
            """);
        Assert.Equal(["hostpath-provisioner", null], spec.Manifests.Select(m => m.Namespace));

        var error = Fails("""
            metadata: {name: demo, version: "1"}
            spec:
              manifests:
                - {path: local.yaml, namespace: ../etc}
            """);
        Assert.Contains("bundle-specs/demo.yaml:4", error.Message);
        Assert.Contains("namespace '../etc' is not a Kubernetes namespace name", error.Message);
    }

    [Fact]
    public void Kubevirt_optional_components_are_all_or_a_list_checked_against_the_release()
    {
        var spec = Parse("""
            metadata: {name: demo, version: "1"}
            spec:
              kubevirt: {version: v1.3.0, optionalComponents: [libguestfs-tools, pr-helper]}
            """);
        Assert.Equal(["libguestfs-tools", "pr-helper"], spec.Components.Single().OptionalComponents);
        Assert.Equal(["all"], Parse("""
            metadata: {name: demo, version: "1"}
            spec:
              kubevirt: {version: v1.3.0, optionalComponents: all}
            """).Components.Single().OptionalComponents);

        var unknown = Parse("""
            metadata: {name: demo, version: "1"}
            spec:
              kubevirt: {version: v1.3.0, optionalComponents: [virt-nothing]}
            """);
        var error = Assert.Throws<KargoException>(() => new Kargo.Airgap.Sources.Releases.ReleaseCatalog(null).Expand(unknown));
        Assert.Contains("bundle-specs/demo.yaml:3: spec.kubevirt.optionalComponents: 'virt-nothing' is not an optional KubeVirt component", error.Message);
        Assert.Contains("libguestfs-tools", error.Message);
    }

    [Fact]
    public void An_unclosed_flow_mapping_is_one_error_with_its_place_not_a_crash()
    {
        var error = Fails("""
            kind: Bundle
            metadata: {name: bad, version: "1.0"
            spec:
              images: [busybox]
            """);

        Assert.StartsWith("bundle-specs/demo.yaml:2:", error.Message);
        Assert.Contains("not valid YAML", error.Message);
        Assert.Throws<SpecException>(() => Kargo.Airgap.Sources.ManifestImages.Discover("kind: Deployment\nmetadata: {name: x\nspec: {}\n", "manifests/x.yaml"));
    }

    [Fact]
    public void A_tab_in_the_indentation_is_named_at_its_line()
    {
        var error = Fails("kind: Bundle\nmetadata:\n  name: bad\n  version: \"1\"\nspec:\n\timages: [busybox]\n");

        Assert.StartsWith("bundle-specs/demo.yaml:6:1:", error.Message);
        Assert.Contains("a tab indents this line", error.Message);
    }

    [Fact]
    public void Platforms_default_to_linux_amd64()
    {
        var spec = Parse("""
            metadata: {name: demo, version: "1"}
            spec:
              images: [busybox]
            """);
        Assert.Equal([Platform.LinuxAmd64], spec.Platforms);
    }

    [Fact]
    public void A_bad_reference_names_file_line_and_reference()
    {
        var error = Fails("""
            metadata: {name: demo, version: "1"}
            spec:
              images:
                - busybox
                - quay.io/KubeVirt/virt-api:v1
            """);
        Assert.StartsWith("bundle-specs/demo.yaml:5:", error.Message);
        Assert.Contains("'quay.io/KubeVirt/virt-api:v1'", error.Message);
        Assert.Contains("lowercase", error.Message);
    }

    [Fact]
    public void A_typo_in_a_field_is_an_error_not_silence()
    {
        var error = Fails("""
            metadata: {name: demo, version: "1"}
            spec:
              imagez: [busybox]
            """);
        Assert.StartsWith("bundle-specs/demo.yaml:3:3:", error.Message);
        Assert.Contains("unknown field 'imagez' in spec; expected one of: platforms, images", error.Message);
    }

    [Fact]
    public void The_same_image_twice_names_both_lines()
    {
        var error = Fails("""
            metadata: {name: demo, version: "1"}
            spec:
              images:
                - busybox
                - docker.io/library/busybox:latest
            """);
        Assert.StartsWith("bundle-specs/demo.yaml:5:", error.Message);
        Assert.Contains("already listed at line 4", error.Message);
    }

    [Theory]
    [InlineData("spec: {images: []}", 1, "missing field 'metadata'")]
    [InlineData("metadata: {version: \"1\"}\nspec: {}", 1, "missing field 'metadata.name'")]
    [InlineData("metadata: {name: Demo, version: \"1\"}\nspec: {}", 1, "must be lowercase letters")]
    [InlineData("metadata: {name: demo, version: \"1/2\"}\nspec: {}", 1, "metadata.version '1/2'")]
    [InlineData("metadata: {name: demo, version: \"1\"}\nspec:\n  platforms: [linux]", 3, "invalid platform 'linux'")]
    [InlineData("metadata: {name: demo, version: \"1\"}\nspec:\n  images: busybox", 3, "spec.images must be a list")]
    [InlineData("kind: Deployment\nmetadata: {name: demo, version: \"1\"}\nspec: {}", 1, "kind: Bundle")]
    [InlineData("metadata: [oops", 2, "not valid YAML")]
    [InlineData("metadata: {name: demo, version: \"1\"}\nspec:\n  cluster:\n    microk8s: {channel: \"1.30/nightly\", snaps: [microk8s_1.snap]}", 4, "'1.30/nightly' is not a snap channel")]
    [InlineData("metadata: {name: demo, version: \"1\"}\nspec:\n  cluster:\n    microk8s: {channel: 1.30/stable}", 4, "needs snaps: run 'snap download microk8s --channel=1.30/stable'")]
    [InlineData("metadata: {name: demo, version: \"1\"}\nspec:\n  cluster:\n    microk8s:\n      channel: 1.30/stable\n      snaps: [core20_1.snap]", 6, "has no microk8s_REVISION.snap")]
    [InlineData("metadata: {name: demo, version: \"1\"}\nspec:\n  cluster:\n    microk8s:\n      channel: 1.30/stable\n      snaps: [microk8s_1.tar]", 6, "is not a .snap file")]
    [InlineData("metadata: {name: demo, version: \"1\"}\nspec:\n  cluster:\n    k3s: {version: v1.30.4+k3s1}\n    microk8s: {channel: 1.30/stable, snaps: [microk8s_1.snap]}", 5, "a node runs one distribution")]
    [InlineData("metadata: {name: demo, version: \"1\"}\nspec:\n  images:\n    - {image: app:1, source: podman}", 4, "source 'podman' is not one of registry, docker")]
    public void Mistakes_are_reported_at_their_line(string yaml, int line, string why)
    {
        var error = Fails(yaml);
        Assert.Equal(line, error.Line);
        Assert.Contains(why, error.Message);
    }

    [Fact]
    public void A_missing_file_says_so()
    {
        var error = Assert.Throws<KargoException>(() => SpecLoader.Load("/nonexistent/spec.yaml"));
        Assert.Contains("'/nonexistent/spec.yaml' does not exist", error.Message);
    }

    [Fact]
    public void K3s_selinux_is_true_false_or_a_k3s_selinux_release_and_brings_its_el8_and_el9_rpms()
    {
        BundleSpec WithSelinux(string value) => Parse($$"""
            metadata: {name: demo, version: "1"}
            spec:
              cluster:
                k3s: {version: v1.35.6+k3s1, selinux: {{value}}}
            """);
        Assert.Equal("v1.6.stable.1", WithSelinux("true").Component("k3s")!.Selinux);
        Assert.Null(WithSelinux("false").Component("k3s")!.Selinux);
        Assert.Equal("v1.5.stable.1", WithSelinux("v1.5.stable.1").Component("k3s")!.Selinux);
        var error = Assert.Throws<SpecException>(() => WithSelinux("yes-please"));
        Assert.Contains("bundle-specs/demo.yaml:4", error.Message);
        Assert.Contains("spec.cluster.k3s.selinux 'yes-please' is not true, false or a k3s-selinux release tag such as v1.6.stable.1", error.Message);

        var files = new Kargo.Airgap.Sources.Releases.ReleaseCatalog(null).Expand(WithSelinux("true")).Files.Select(f => f.Source).ToList();
        Assert.Contains("https://github.com/k3s-io/k3s-selinux/releases/download/v1.6.stable.1/k3s-selinux-1.6-1.el8.noarch.rpm", files);
        Assert.Contains("https://github.com/k3s-io/k3s-selinux/releases/download/v1.6.stable.1/k3s-selinux-1.6-1.el9.noarch.rpm", files);
    }
}
