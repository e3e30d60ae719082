using Kargo.Airgap.Install.Kubernetes;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Unit;

public sealed class ManifestObjectTests : IDisposable
{
    private readonly TempDir _dir = new();

    private IReadOnlyList<ManifestObject> Read(string yaml)
    {
        File.WriteAllText(_dir["m.yaml"], yaml);
        return ManifestObject.Read(_dir["m.yaml"]);
    }

    [Fact]
    public void Each_document_keeps_its_yaml_exactly_and_empty_documents_are_skipped()
    {
        var objects = Read("""
            # leading comment
            apiVersion: v1
            kind: Namespace
            metadata:
              name: kubevirt
            ---
            # only a comment
            ---
            {apiVersion: apps/v1, kind: Deployment, metadata: {name: op, namespace: kubevirt}}
            ---
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: kubevirts.kubevirt.io}
            spec:
              group: kubevirt.io
              names: {kind: KubeVirt, plural: kubevirts}
              versions: [{name: v1}, {name: v1alpha3}]
            """);

        Assert.Equal(["Namespace kubevirt", "Deployment kubevirt/op", "CustomResourceDefinition kubevirts.kubevirt.io"], objects.Select(o => o.ToString()));
        Assert.Equal("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kubevirt\n", objects[0].Yaml);
        Assert.Equal("{apiVersion: apps/v1, kind: Deployment, metadata: {name: op, namespace: kubevirt}}", objects[1].Yaml.TrimEnd());
        Assert.True(objects[2].IsCrd);
        Assert.Equal([("kubevirt.io/v1", "KubeVirt"), ("kubevirt.io/v1alpha3", "KubeVirt")], objects[2].DefinedTypes);
        Assert.Equal("m.yaml:9", objects[1].Source);
    }

    [Fact]
    public void A_document_without_a_kind_is_an_error_at_its_line()
    {
        var error = Assert.Throws<KargoException>(() => Read("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {name: b}\n"));

        Assert.Equal($"{_dir["m.yaml"]}:5: the object has no kind", error.Message);
    }

    [Fact]
    public void Each_round_tries_crds_then_namespaces_then_the_rest_in_the_bundles_order()
    {
        var plan = ApplyPlan.For(Read("""
            apiVersion: kubevirt.io/v1
            kind: KubeVirt
            metadata: {name: kubevirt, namespace: kubevirt}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: virt-operator, namespace: kubevirt}
            ---
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: kubevirts.kubevirt.io}
            spec: {group: kubevirt.io, names: {kind: KubeVirt, plural: kubevirts}, versions: [{name: v1}]}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: kubevirt}
            """));

        Assert.Equal(["CustomResourceDefinition kubevirts.kubevirt.io"], plan.Crds.Select(o => o.ToString()));
        Assert.Equal(["Namespace kubevirt"], plan.Namespaces.Select(o => o.ToString()));
        Assert.Equal(["KubeVirt kubevirt/kubevirt", "Deployment kubevirt/virt-operator"], plan.Others.Select(o => o.ToString()));
    }

    [Fact]
    public void A_namespaced_object_without_a_namespace_from_itself_or_its_manifest_is_refused_not_put_in_default()
    {
        File.WriteAllText(_dir["hpp-operator.yaml"], ReleaseFixtures.Read(ReleaseFixtures.HppOperator));

        var refused = Assert.Throws<KargoException>(() => ApplyPlan.For(ManifestObject.Read(_dir["hpp-operator.yaml"])));

        Assert.Contains("hpp-operator.yaml:", refused.Message);
        Assert.Contains("ServiceAccount hostpath-provisioner-operator", refused.Message);
        Assert.Contains("Deployment hostpath-provisioner-operator", refused.Message);
        Assert.DoesNotContain("ClusterRoleBinding", refused.Message);
        Assert.Contains("Give the manifest's spec.manifests entry a namespace:", refused.Message);

        var objects = ManifestObject.Read(_dir["hpp-operator.yaml"], "hostpath-provisioner");
        var plan = ApplyPlan.For(objects);
        Assert.Equal("hostpath-provisioner", plan.Others.Single(o => o.Kind == "Deployment").NamespaceWhen(true));
        Assert.Null(plan.Others.Single(o => o.Kind == "ClusterRoleBinding").NamespaceWhen(false));
        Assert.Contains("Deployment hostpath-provisioner/hostpath-provisioner-operator", plan.Others.Select(o => o.ToString()));
    }

    [Fact]
    public void A_kind_only_the_cluster_knows_is_left_to_discovery_and_a_bundled_crds_scope_decides_its_objects()
    {
        var objects = Read("""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: things.example.com}
            spec:
              group: example.com
              names: {kind: Thing, plural: things}
              scope: Namespaced
              versions: [{name: v1, served: true, storage: true}]
            ---
            {apiVersion: other.example.com/v1, kind: Unknown, metadata: {name: u}}
            """);
        Assert.Equal(2, ApplyPlan.For(objects).Crds.Count + ApplyPlan.For(objects).Others.Count);

        var thing = Read("{apiVersion: example.com/v1, kind: Thing, metadata: {name: t}}");
        Assert.Throws<KargoException>(() => ApplyPlan.For([.. objects, .. thing]));
    }

    public void Dispose() => _dir.Dispose();
}
