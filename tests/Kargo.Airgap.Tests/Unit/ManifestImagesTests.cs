using Kargo.Airgap.Sources;

namespace Kargo.Airgap.Tests.Unit;

/// <summary>Images named by manifests shaped like KubeVirt's and CDI's release manifests.</summary>
public sealed class ManifestImagesTests
{
    private const string Sha = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string Sha2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    private static readonly string KubeVirtOperator = $"""
        apiVersion: v1
        kind: Namespace
        metadata: {"{"}name: kubevirt{"}"}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: virt-operator
          namespace: kubevirt
        spec:
          template:
            spec:
              containers:
              - name: virt-operator
                image: quay.io/kubevirt/virt-operator:v1.3.0
                env:
                - name: VIRT_OPERATOR_IMAGE
                  value: quay.io/kubevirt/virt-operator:v1.3.0
                - name: WATCH_NAMESPACE
                  valueFrom: {"{"}fieldRef: {"{"}fieldPath: "metadata.annotations['olm.targetNamespaces']"{"}"}{"}"}
                - name: KUBEVIRT_VERSION
                  value: v1.3.0
                - name: VIRT_API_SHASUM
                  value: {Sha}
                - name: VIRT_LAUNCHER_SHASUM
                  value: {Sha2}
                - name: GS_SHASUM
                  value: {Sha}
              initContainers:
              - name: prepare
                image: quay.io/kubevirt/virt-operator@{Sha2}
        """;

    private const string CdiOperator = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: cdi-operator, namespace: cdi}
        spec:
          template:
            spec:
              containers:
              - name: cdi-operator
                image: quay.io/kubevirt/cdi-operator:v1.59.0
                env:
                - {name: DEPLOY_CLUSTER_RESOURCES, value: "true"}
                - {name: OPERATOR_VERSION, value: v1.59.0}
                - {name: CONTROLLER_IMAGE, value: quay.io/kubevirt/cdi-controller:v1.59.0}
                - {name: IMPORTER_IMAGE, value: quay.io/kubevirt/cdi-importer:v1.59.0}
                - {name: PULL_POLICY, value: IfNotPresent}
        ---
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: cleanup}
        spec:
          jobTemplate:
            spec:
              template:
                spec:
                  containers: [{name: c, image: busybox:1.36}]
        """;

    [Fact]
    public void KubeVirt_operator_images_come_from_pod_templates_and_shasum_variables()
    {
        var found = ManifestImages.Discover(KubeVirtOperator, "manifests/kubevirt-operator.yaml");

        Assert.Equal(
        [
            $"quay.io/kubevirt/virt-operator@{Sha2}",
            "quay.io/kubevirt/virt-operator:v1.3.0",
            $"quay.io/kubevirt/virt-api@{Sha}",
            $"quay.io/kubevirt/virt-launcher@{Sha2}",
            $"quay.io/kubevirt/libguestfs-tools@{Sha}",
        ], found.Select(f => f.Reference.ToString()));
        Assert.Contains("variable VIRT_API_SHASUM", found.Single(f => f.Reference.Repository == "kubevirt/virt-api").Origin);
        Assert.StartsWith("manifests/kubevirt-operator.yaml: Deployment virt-operator, container virt-operator", found[2].Origin);
    }

    [Fact]
    public void Cdi_operator_images_come_from_image_variables_and_every_pod_template()
    {
        var found = ManifestImages.Discover(CdiOperator, "manifests/cdi-operator.yaml");

        Assert.Equal(
        [
            "quay.io/kubevirt/cdi-operator:v1.59.0",
            "quay.io/kubevirt/cdi-controller:v1.59.0",
            "quay.io/kubevirt/cdi-importer:v1.59.0",
            "docker.io/library/busybox:1.36",
        ], found.Select(f => f.Reference.ToString()));
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
