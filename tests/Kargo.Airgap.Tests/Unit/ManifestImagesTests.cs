using Kargo.Airgap.Sources;
using Kargo.Airgap.Sources.Releases;
using Kargo.Airgap.Spec;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Unit;

/// <summary>
/// Images named by release manifests with the published shape (Fixtures/Releases): what each
/// operator starts, found by the rule that operator follows.
/// </summary>
public sealed class ManifestImagesTests
{
    private const string Sha = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string Sha2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    private static KubeVirtTarget Target(string[]? gates = null, string[]? asked = null, string? registry = null, string? tag = null, string[]? disabled = null) =>
        new(registry, tag, new HashSet<string>(gates ?? []), new HashSet<string>(disabled ?? []), new HashSet<string>(asked ?? []), null);

    private static List<string> Found(IReadOnlyList<DiscoveredImage> images) => [.. images.Select(i => i.Reference.ToString())];

    /// <summary>A virt-operator Deployment of the published shape with this environment.</summary>
    private static string Operator(string image, params (string Name, string Value)[] env) => $"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {"{"}name: virt-operator, namespace: kubevirt{"}"}
        spec:
          template:
            spec:
              containers:
              - name: virt-operator
                image: {image}
                env:
        {string.Join("\n", env.Select(e => $"        - {{name: {e.Name}, value: \"{e.Value}\"}}"))}
                - name: WATCH_NAMESPACE
                  valueFrom: {"{"}fieldRef: {"{"}fieldPath: "metadata.annotations['olm.targetNamespaces']"{"}"}{"}"}
        """;

    [Fact]
    public void The_published_kubevirt_operator_gives_every_component_virt_operator_starts_by_its_derivation()
    {
        var found = ManifestImages.Discover(ReleaseFixtures.Read(ReleaseFixtures.KubeVirtOperator), "manifests/kubevirt-operator.yaml", Target(gates: ["Snapshot"]));

        Assert.Equal(
        [
            "quay.io/kubevirt/virt-operator:v1.3.0",
            "quay.io/kubevirt/virt-api:v1.3.0",
            "quay.io/kubevirt/virt-controller:v1.3.0",
            "quay.io/kubevirt/virt-handler:v1.3.0",
            "quay.io/kubevirt/virt-launcher:v1.3.0",
        ], Found(found));
        Assert.Equal(ImageRule.Container, found[0].Rule);
        var api = found.Single(f => f.Reference.Repository == "kubevirt/virt-api");
        Assert.Equal(ImageRule.KubeVirtOperator, api.Rule);
        Assert.Equal("manifests/kubevirt-operator.yaml: Deployment virt-operator, container virt-operator, derived from VIRT_OPERATOR_IMAGE (registry quay.io/kubevirt, prefix '', tag v1.3.0)", api.Origin);
    }

    [Fact]
    public void Feature_gates_of_the_spec_or_the_cr_bring_the_images_their_features_start()
    {
        var withGates = ManifestImages.Discover(ReleaseFixtures.Read(ReleaseFixtures.KubeVirtOperator), "op", Target(gates: ["VMExport", "Sidecar", "PersistentReservation"]));
        Assert.Contains("quay.io/kubevirt/virt-exportproxy:v1.3.0", Found(withGates));
        Assert.Contains("quay.io/kubevirt/virt-exportserver:v1.3.0", Found(withGates));
        Assert.Contains("quay.io/kubevirt/sidecar-shim:v1.3.0", Found(withGates));
        Assert.Contains("quay.io/kubevirt/pr-helper:v1.3.0", Found(withGates));
        Assert.DoesNotContain(withGates, f => f.Reference.Repository.EndsWith("libguestfs-tools", StringComparison.Ordinal));
        // virt-synchronization-controller came with v1.6: a v1.3.0 operator never starts it.
        Assert.DoesNotContain(withGates, f => f.Reference.Repository.EndsWith("synchronization-controller", StringComparison.Ordinal));

        var cr = """
            ---
            apiVersion: kubevirt.io/v1
            kind: KubeVirt
            metadata: {name: kubevirt, namespace: kubevirt}
            spec:
              configuration:
                developerConfiguration:
                  featureGates: [VMExport]
            """;
        var fromCr = ManifestImages.Discover(ReleaseFixtures.Read(ReleaseFixtures.KubeVirtOperator) + cr, "op");
        Assert.Contains("quay.io/kubevirt/virt-exportproxy:v1.3.0", Found(fromCr));

        var all = ManifestImages.Discover(ReleaseFixtures.Read(ReleaseFixtures.KubeVirtOperator), "op", Target(asked: [KubeVirtComponents.All]));
        Assert.Contains("quay.io/kubevirt/libguestfs-tools:v1.3.0", Found(all));
        Assert.Contains("quay.io/kubevirt/pr-helper:v1.3.0", Found(all));
    }

    [Fact]
    public void The_crs_image_registry_and_tag_replace_those_of_the_operator()
    {
        var found = ManifestImages.Discover(ReleaseFixtures.Read(ReleaseFixtures.KubeVirtOperator), "op", Target(registry: "harbor.lan/kubevirt", tag: "v1.3.1"));

        Assert.Contains("harbor.lan/kubevirt/virt-api:v1.3.1", Found(found));
        Assert.Contains("harbor.lan/kubevirt/virt-launcher:v1.3.1", Found(found));
        Assert.DoesNotContain("quay.io/kubevirt/virt-api:v1.3.0", Found(found));
    }

    [Fact]
    public void A_virt_image_variable_overrides_the_derived_name()
    {
        var found = ManifestImages.Discover(Operator("quay.io/kubevirt/virt-operator:v1.3.0",
            ("VIRT_OPERATOR_IMAGE", "quay.io/kubevirt/virt-operator:v1.3.0"), ("KUBEVIRT_VERSION", "v1.3.0"), ("VIRT_HANDLER_IMAGE", "registry.lan/custom/handler:7")), "op", Target());

        Assert.Contains("registry.lan/custom/handler:7", Found(found));
        Assert.DoesNotContain("quay.io/kubevirt/virt-handler:v1.3.0", Found(found));
    }

    [Fact]
    public void A_digest_pinned_operator_before_v1_7_uses_its_shasum_digests_and_without_them_the_kubevirt_version()
    {
        var pinned = Operator($"quay.io/kubevirt/virt-operator@{Sha}",
            ("VIRT_OPERATOR_IMAGE", $"quay.io/kubevirt/virt-operator@{Sha}"), ("KUBEVIRT_VERSION", "v1.2.0"),
            ("VIRT_API_SHASUM", Sha2), ("VIRT_CONTROLLER_SHASUM", Sha2), ("VIRT_HANDLER_SHASUM", Sha2), ("VIRT_LAUNCHER_SHASUM", Sha), ("GS_SHASUM", Sha));

        var found = ManifestImages.Discover(pinned, "op", Target(asked: ["libguestfs-tools", "pr-helper"]));

        Assert.Contains($"quay.io/kubevirt/virt-api@{Sha2}", Found(found));
        Assert.Contains($"quay.io/kubevirt/virt-launcher@{Sha}", Found(found));
        Assert.Contains($"quay.io/kubevirt/libguestfs-tools@{Sha}", Found(found));
        Assert.DoesNotContain(found, f => f.Reference.Repository.EndsWith("pr-helper", StringComparison.Ordinal)); // no PR_HELPER_SHASUM: nothing to start
        Assert.Equal(ImageRule.KubeVirtShasum, found.Single(f => f.Reference.Repository == "kubevirt/virt-api").Rule);
        Assert.Contains("variable VIRT_API_SHASUM", found.Single(f => f.Reference.Repository == "kubevirt/virt-api").Origin);

        var withoutShasums = Operator($"quay.io/kubevirt/virt-operator@{Sha}", ("VIRT_OPERATOR_IMAGE", $"quay.io/kubevirt/virt-operator@{Sha}"), ("KUBEVIRT_VERSION", "v1.2.0"));
        Assert.Contains("quay.io/kubevirt/virt-api:v1.2.0", Found(ManifestImages.Discover(withoutShasums, "op", Target())));
    }

    /// <summary>What a virt-operator binary embeds, as read from it (pkg/virt-operator/resource/generate/components/data/virt-template/install-virt-operator.yaml at v1.9.0 names v0.2.2).</summary>
    private static OperatorEmbeddedImages Embedded(string operatorImage, string tag = "v0.2.2")
    {
        var embedded = new OperatorEmbeddedImages();
        embedded.Add(Kargo.Airgap.Oci.ImageReference.Parse(operatorImage),
            [Kargo.Airgap.Oci.ImageReference.Parse($"quay.io/kubevirt/virt-template-apiserver:{tag}"), Kargo.Airgap.Oci.ImageReference.Parse($"quay.io/kubevirt/virt-template-controller:{tag}")]);
        return embedded;
    }

    [Fact]
    public void A_v1_9_operator_starts_export_and_template_images_by_default_and_a_disabled_gate_keeps_template_out()
    {
        var v19 = Operator("quay.io/kubevirt/virt-operator:v1.9.0", ("VIRT_OPERATOR_IMAGE", "quay.io/kubevirt/virt-operator:v1.9.0"), ("KUBEVIRT_VERSION", "v1.9.0"));

        var found = ManifestImages.Discover(v19, "op", Target(), Embedded("quay.io/kubevirt/virt-operator:v1.9.0"));
        Assert.Contains("quay.io/kubevirt/virt-exportproxy:v1.9.0", Found(found));
        Assert.Contains("quay.io/kubevirt/virt-exportserver:v1.9.0", Found(found));
        Assert.Contains("quay.io/kubevirt/virt-template-apiserver:v0.2.2", Found(found));
        Assert.Contains("quay.io/kubevirt/virt-template-controller:v0.2.2", Found(found));
        Assert.Equal(ImageRule.KubeVirtEmbedded, found.Single(f => f.Reference.Repository == "kubevirt/virt-template-apiserver").Rule);
        Assert.Contains("read from /usr/bin/virt-operator in quay.io/kubevirt/virt-operator:v1.9.0", found.Single(f => f.Reference.Repository == "kubevirt/virt-template-apiserver").Origin);
        Assert.DoesNotContain("quay.io/kubevirt/virt-synchronization-controller:v1.9.0", Found(found));

        var disabled = Found(ManifestImages.Discover(v19, "op", Target(disabled: ["Template"], gates: ["DecentralizedLiveMigration"])));
        Assert.DoesNotContain(disabled, i => i.Contains("virt-template", StringComparison.Ordinal));
        Assert.Contains("quay.io/kubevirt/virt-synchronization-controller:v1.9.0", disabled);

        // From v1.7 the CR's registry also moves the install-strategy job's virt-operator, whose binary then names virt-template's tag.
        var moved = Found(ManifestImages.Discover(v19, "op", Target(registry: "harbor.lan/kv"), Embedded("harbor.lan/kv/virt-operator:v1.9.0")));
        Assert.Contains("harbor.lan/kv/virt-operator:v1.9.0", moved);
        Assert.Contains("harbor.lan/kv/virt-template-controller:v0.2.2", moved);
    }

    [Fact]
    public void A_release_never_seen_takes_the_template_tag_its_operator_binary_embeds_and_until_read_names_the_operator_to_read()
    {
        var v197 = Operator("quay.io/kubevirt/virt-operator:v1.9.7", ("VIRT_OPERATOR_IMAGE", "quay.io/kubevirt/virt-operator:v1.9.7"), ("KUBEVIRT_VERSION", "v1.9.7"));

        var unread = new OperatorEmbeddedImages();
        Assert.DoesNotContain(Found(ManifestImages.Discover(v197, "op", Target(), unread)), i => i.Contains("virt-template", StringComparison.Ordinal));
        Assert.Equal("quay.io/kubevirt/virt-operator:v1.9.7", Assert.Single(unread.Unread).ToString());

        var found = Found(ManifestImages.Discover(v197, "op", Target(), Embedded("quay.io/kubevirt/virt-operator:v1.9.7", "v0.2.9")));
        Assert.Contains("quay.io/kubevirt/virt-template-apiserver:v0.2.9", found);
        Assert.Contains("quay.io/kubevirt/virt-template-controller:v0.2.9", found);
    }

    [Fact]
    public void An_operator_binary_that_embeds_no_template_image_is_an_error_naming_the_image_the_file_and_a_fix_that_unblocks()
    {
        var v197 = Operator("quay.io/kubevirt/virt-operator:v1.9.7", ("VIRT_OPERATOR_IMAGE", "quay.io/kubevirt/virt-operator:v1.9.7"), ("KUBEVIRT_VERSION", "v1.9.7"));
        var empty = new OperatorEmbeddedImages();
        empty.Add(Kargo.Airgap.Oci.ImageReference.Parse("quay.io/kubevirt/virt-operator:v1.9.7"), []);

        var error = Assert.Throws<KargoException>(() => ManifestImages.Discover(v197, "manifests/kubevirt-operator.yaml", Target(), empty));

        Assert.Contains("manifests/kubevirt-operator.yaml: Deployment virt-operator, container virt-operator", error.Message);
        Assert.Contains("/usr/bin/virt-operator in quay.io/kubevirt/virt-operator:v1.9.7 embeds no virt-template-apiserver image reference", error.Message);
        Assert.Contains("spec.images and in the operator's env VIRT_TEMPLATE_APISERVER_IMAGE", error.Message);
        Assert.Contains("virtTemplateDeployment.enabled: false", error.Message);

        // Either fix unblocks: the operator's own variable names the image, or the CR turns virt-template off.
        var named = Operator("quay.io/kubevirt/virt-operator:v1.9.7", ("VIRT_OPERATOR_IMAGE", "quay.io/kubevirt/virt-operator:v1.9.7"), ("KUBEVIRT_VERSION", "v1.9.7"),
            ("VIRT_TEMPLATE_APISERVER_IMAGE", "quay.io/kubevirt/virt-template-apiserver:v0.2.9"), ("VIRT_TEMPLATE_CONTROLLER_IMAGE", "quay.io/kubevirt/virt-template-controller:v0.2.9"));
        Assert.Contains("quay.io/kubevirt/virt-template-apiserver:v0.2.9", Found(ManifestImages.Discover(named, "op", Target(), empty)));
        var off = Found(ManifestImages.Discover(v197 + "\n---\n" + KubeVirtCr("virtTemplateDeployment: {enabled: false}"), "op", null, empty));
        Assert.DoesNotContain(off, i => i.Contains("virt-template", StringComparison.Ordinal));
    }

    /// <summary>A KubeVirt CR of kubevirt-cr.yaml's shape with this under spec.configuration (field names from staging/src/kubevirt.io/api/core/v1/types.go at v1.9.0).</summary>
    private static string KubeVirtCr(string configuration) => $"""
        apiVersion: kubevirt.io/v1
        kind: KubeVirt
        metadata: {"{"}name: kubevirt, namespace: kubevirt{"}"}
        spec:
          configuration:
            {configuration}
        """;

    [Fact]
    public void The_crs_virt_template_switch_can_only_turn_template_off_and_persistent_reservation_config_decides_pr_helper_alone()
    {
        var v19 = Operator("quay.io/kubevirt/virt-operator:v1.9.0", ("VIRT_OPERATOR_IMAGE", "quay.io/kubevirt/virt-operator:v1.9.0"), ("KUBEVIRT_VERSION", "v1.9.0"));
        List<string> With(string configuration) => Found(ManifestImages.Discover(v19 + "\n---\n" + KubeVirtCr(configuration), "op", null, Embedded("quay.io/kubevirt/virt-operator:v1.9.0")));

        Assert.DoesNotContain(With("virtTemplateDeployment: {enabled: false}"), i => i.Contains("virt-template", StringComparison.Ordinal));
        Assert.Contains("quay.io/kubevirt/virt-template-apiserver:v0.2.2", With("virtTemplateDeployment: {enabled: true}"));
        // enabled: true does not start virt-template when its gate is off (config.go: the gate first, then the switch).
        Assert.DoesNotContain(With("virtTemplateDeployment: {enabled: true}\n    developerConfiguration: {disabledFeatureGates: [Template]}"), i => i.Contains("virt-template", StringComparison.Ordinal));

        Assert.Contains("quay.io/kubevirt/pr-helper:v1.9.0", With("persistentReservationConfiguration: {enabled: true}"));
        Assert.DoesNotContain("quay.io/kubevirt/pr-helper:v1.9.0", With("persistentReservationConfiguration: {enabled: false}\n    developerConfiguration: {featureGates: [PersistentReservation]}"));
        Assert.Contains("quay.io/kubevirt/pr-helper:v1.9.0", With("developerConfiguration: {featureGates: [PersistentReservation]}"));
        Assert.DoesNotContain("quay.io/kubevirt/pr-helper:v1.9.0", With("developerConfiguration: {featureGates: []}"));
    }

    [Fact]
    public void Vm_container_disks_and_datavolume_docker_sources_are_found_and_other_schemes_are_not()
    {
        const string objects = """
            apiVersion: kubevirt.io/v1
            kind: VirtualMachine
            metadata: {name: vm1}
            spec:
              dataVolumeTemplates:
              - metadata: {name: root}
                spec:
                  source: {registry: {url: "docker://quay.io/containerdisks/fedora:43"}}
              template:
                spec:
                  volumes:
                  - name: boot
                    containerDisk: {image: quay.io/containerdisks/ubuntu:24.04}
            ---
            apiVersion: kubevirt.io/v1
            kind: VirtualMachineInstance
            metadata: {name: vmi1}
            spec:
              volumes:
              - name: disk
                containerDisk: {image: "registry.lan:5000/disks/alpine@sha256:1111111111111111111111111111111111111111111111111111111111111111"}
            ---
            apiVersion: cdi.kubevirt.io/v1beta1
            kind: DataVolume
            metadata: {name: dv1}
            spec:
              source: {registry: {url: "docker://docker.io/library/debian:12"}}
            ---
            apiVersion: cdi.kubevirt.io/v1beta1
            kind: DataVolume
            metadata: {name: dv2}
            spec:
              source: {registry: {url: "oci-archive://disk.tar"}}
            """;

        var found = ManifestImages.Discover(objects, "manifests/vms.yaml");

        Assert.Equal(
        [
            "quay.io/containerdisks/fedora:43",
            "quay.io/containerdisks/ubuntu:24.04",
            "registry.lan:5000/disks/alpine@sha256:1111111111111111111111111111111111111111111111111111111111111111",
            "docker.io/library/debian:12",
        ], Found(found));
        Assert.Equal(ImageRule.DataVolumeRegistry, found[0].Rule);
        Assert.Equal("manifests/vms.yaml: VirtualMachine vm1, source.registry.url", found[0].Origin);
        Assert.Equal(ImageRule.VmContainerDisk, found[1].Rule);
        Assert.Equal("manifests/vms.yaml: VirtualMachine vm1, volume boot containerDisk.image", found[1].Origin);
        Assert.Equal("vm-containerdisk", found[1].Rule.Key());
        Assert.Equal("datavolume-registry", found[3].Rule.Key());
    }

    [Fact]
    public void Cdi_operator_images_come_from_its_image_variables()
    {
        var found = ManifestImages.Discover(ReleaseFixtures.Read(ReleaseFixtures.CdiOperator), "manifests/cdi-operator.yaml");

        Assert.Equal(
        [
            "quay.io/kubevirt/cdi-operator:v1.59.0",
            "quay.io/kubevirt/cdi-controller:v1.59.0",
            "quay.io/kubevirt/cdi-importer:v1.59.0",
            "quay.io/kubevirt/cdi-cloner:v1.59.0",
            "quay.io/kubevirt/cdi-apiserver:v1.59.0",
            "quay.io/kubevirt/cdi-uploadserver:v1.59.0",
            "quay.io/kubevirt/cdi-uploadproxy:v1.59.0",
        ], Found(found));
        Assert.All(found.Skip(1), f => Assert.Equal(ImageRule.Variable, f.Rule));
    }

    [Fact]
    public void Cert_manager_names_its_acme_solver_in_a_container_argument()
    {
        var found = ManifestImages.Discover(ReleaseFixtures.Read(ReleaseFixtures.CertManager), "manifests/cert-manager.yaml");

        Assert.Equal(
        [
            "quay.io/jetstack/cert-manager-cainjector:v1.15.3",
            "quay.io/jetstack/cert-manager-controller:v1.15.3",
            "quay.io/jetstack/cert-manager-acmesolver:v1.15.3",
            "quay.io/jetstack/cert-manager-webhook:v1.15.3",
        ], Found(found));
        var solver = found.Single(f => f.Reference.Repository.EndsWith("acmesolver", StringComparison.Ordinal));
        Assert.Equal(ImageRule.Argument, solver.Rule);
        Assert.Equal("manifests/cert-manager.yaml: Deployment cert-manager, container cert-manager-controller, argument --acme-http01-solver-image", solver.Origin);
    }

    [Fact]
    public void Cnao_images_are_pinned_by_digest_in_its_environment_and_its_operator_image_is_not_kubevirts()
    {
        var found = ManifestImages.Discover(ReleaseFixtures.Read(ReleaseFixtures.CnaoOperator), "manifests/cnao-operator.yaml", Target());

        Assert.Contains("ghcr.io/k8snetworkplumbingwg/multus-cni@sha256:3fbcc32bd4e4d15bd93c96def784a229cd84cca27942bf4858b581f31c97ee02", Found(found));
        Assert.Contains("quay.io/kubevirt/cni-default-plugins@sha256:0c354fa9d695b8cab97b459e8afea2f7662407a987e83f6f6f1a8af4b45726be", Found(found));
        Assert.Contains("quay.io/kubevirt/kubemacpool@sha256:20e156be33e6d3692c456081acbb91a4349f94de448f7d1f1cddd0228931b31f", Found(found));
        Assert.Contains("quay.io/kubevirt/cluster-network-addons-operator:v0.93.0", Found(found));
        Assert.Equal(11, found.Count); // two containers and eleven *_IMAGE variables, two of them the containers again
        Assert.DoesNotContain(found, f => f.Rule == ImageRule.KubeVirtOperator);
    }

    [Fact]
    public void Hpp_names_latest_images_in_its_environment()
    {
        var found = Found(ManifestImages.Discover(ReleaseFixtures.Read(ReleaseFixtures.HppOperator), "manifests/hpp-operator.yaml"));

        Assert.Equal(
        [
            "quay.io/kubevirt/hostpath-provisioner-operator:latest",
            "quay.io/kubevirt/hostpath-provisioner:latest",
            "quay.io/kubevirt/hostpath-csi-driver:latest",
            "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.2.0",
            "registry.k8s.io/sig-storage/livenessprobe:v2.3.0",
            "registry.k8s.io/sig-storage/csi-snapshotter:v4.2.1",
            "registry.k8s.io/sig-storage/csi-provisioner:v3.4.1",
        ], found);
    }

    [Fact]
    public void A_bad_reference_in_a_manifest_names_where_it_is()
    {
        var error = Assert.Throws<KargoException>(() => ManifestImages.Discover("""
            kind: Deployment
            metadata: {name: broken}
            spec: {template: {spec: {containers: [{name: main, image: Quay.io/Bad/Name}]}}}
            """, "manifests/x.yaml"));

        Assert.Contains("manifests/x.yaml: Deployment broken, container main", error.Message);
    }
}
