using System.Text.Json.Nodes;

namespace Kargo.Airgap.Install.Kubernetes;

/// <summary>A bundled operator that can register a kind at run time, and the custom resources it acts on.</summary>
/// <param name="Operator">Its Deployment (or other workload).</param>
/// <param name="Role">The ClusterRole that lets it create CRDs and use the kind's group.</param>
/// <param name="Resources">The bundled custom resources of the groups it owns (its CRs: KubeVirt, CDI, NetworkAddonsConfig…).</param>
public sealed record KindRegistrar(ManifestObject Operator, ManifestObject Role, IReadOnlyList<ManifestObject> Resources);

/// <summary>
/// Which bundled object registers a kind that no bundled CRD defines, read from the operators'
/// own manifests: an operator that creates CRDs of a group at run time must hold RBAC to create
/// CustomResourceDefinitions, and — since Kubernetes lets nobody grant what they do not hold
/// (RBAC escalation prevention) — rights on that group itself, which its ClusterRole shows. Its
/// ServiceAccount, bound to that role, names the workload; the CRDs of the groups the role owns
/// name the custom resources that make it act (virt-operator registers VirtualMachine once a
/// KubeVirt exists; CNAO NetworkAttachmentDefinition once a NetworkAddonsConfig asks for multus).
/// </summary>
public sealed class KindRegistrars
{
    private readonly IReadOnlyList<ManifestObject> _objects;

    public KindRegistrars(IReadOnlyList<ManifestObject> objects)
    {
        _objects = objects;
    }

    /// <summary>The bundled operators that may register kinds of this API group: those naming it exactly first, else those with every group.</summary>
    public IReadOnlyList<KindRegistrar> Of(string group)
    {
        var roles = _objects.Where(o => o is { Kind: "ClusterRole" or "Role" } && o.Group == "rbac.authorization.k8s.io" && CreatesCrds(o)).ToList();
        var exact = roles.Where(r => Groups(r).Contains(group)).ToList();
        var candidates = exact.Count > 0 ? exact : roles.Where(r => Groups(r).Contains("*")).ToList();
        return [.. candidates.SelectMany(role => Workloads(role).Select(workload => new KindRegistrar(workload, role, Resources(role))))];
    }

    /// <summary>Whether a bundled workload's role names this API group (not only every group): its objects are some operator's to act on.</summary>
    public bool IsOperated(string group) =>
        _objects.Where(o => o is { Kind: "ClusterRole" or "Role" } && o.Group == "rbac.authorization.k8s.io")
            .Any(role => Rules(role).Any(rule => Strings(rule, "apiGroups").Contains(group)) && Workloads(role).Any());

    /// <summary>Why a kind is not served yet, and what in the bundle will make it served.</summary>
    public string Explain(string apiVersion, string kind, Func<ManifestObject, bool> applied)
    {
        var group = ManifestObject.GroupOf(apiVersion);
        var registrars = Of(group);
        if (registrars.Count == 0)
        {
            return $"the cluster does not serve {apiVersion} {kind}, and no bundled CRD defines it nor any bundled operator may register it (none holds RBAC to create CRDs and use {group}): " +
                "add its CRD or operator to spec.manifests, or install it first";
        }
        var who = registrars.Select(r =>
        {
            var resources = r.Resources.Select(c => $"{c} ({(applied(c) ? "applied" : "not applied yet")})").ToList();
            return $"{r.Operator} ({r.Operator.Source}, allowed by {r.Role.Kind} {r.Role.Name} to create CRDs and use {group})" +
                (resources.Count > 0 ? $" once it sees {string.Join(", ", resources)}" : "");
        });
        return $"the cluster does not serve {apiVersion} {kind} yet: registered at run time by {string.Join("; or ", who)}";
    }

    private static bool CreatesCrds(ManifestObject role) => Rules(role).Any(rule =>
        Strings(rule, "apiGroups").Any(g => g is "apiextensions.k8s.io" or "*")
        && Strings(rule, "resources").Any(r => r is "customresourcedefinitions" or "*")
        && Strings(rule, "verbs").Any(v => v is "create" or "*"));

    private static HashSet<string> Groups(ManifestObject role) =>
        [.. Rules(role).Where(rule => Strings(rule, "verbs").Any(v => v is "create" or "*")).SelectMany(rule => Strings(rule, "apiGroups"))];

    private static IEnumerable<JsonNode> Rules(ManifestObject role) => (role.Body["rules"] as JsonArray ?? []).OfType<JsonNode>();

    private static IEnumerable<string> Strings(JsonNode node, string key) =>
        (node[key] as JsonArray ?? []).Select(v => v is JsonValue value && value.TryGetValue<string>(out var text) ? text : null).OfType<string>();

    /// <summary>The workloads whose ServiceAccount a binding ties to this role.</summary>
    private IEnumerable<ManifestObject> Workloads(ManifestObject role)
    {
        var bindingKind = role.Kind == "ClusterRole" ? "ClusterRoleBinding" : "RoleBinding";
        var accounts = _objects
            .Where(b => b.Kind is "ClusterRoleBinding" or "RoleBinding" && (b.Kind == bindingKind || role.Kind == "ClusterRole"))
            .Where(b => b.Body["roleRef"]?["name"]?.ToString() == role.Name && b.Body["roleRef"]?["kind"]?.ToString() == role.Kind)
            .SelectMany(b => (b.Body["subjects"] as JsonArray ?? []).OfType<JsonNode>()
                .Where(s => s["kind"]?.ToString() == "ServiceAccount")
                .Select(s => (Name: s["name"]?.ToString(), Namespace: s["namespace"]?.ToString() ?? b.Namespace ?? b.DefaultNamespace)))
            .ToHashSet();
        return _objects.Where(w => w is { Kind: "Deployment" or "StatefulSet" or "DaemonSet" } && accounts.Contains((ServiceAccount(w), w.Namespace ?? w.DefaultNamespace)));
    }

    private static string ServiceAccount(ManifestObject workload) =>
        workload.Body["spec"]?["template"]?["spec"]?["serviceAccountName"]?.ToString()
        ?? workload.Body["spec"]?["template"]?["spec"]?["serviceAccount"]?.ToString()
        ?? "default";

    /// <summary>The bundled custom resources whose resource (the CRD's plural) the role names explicitly: the CRs it acts on.</summary>
    private List<ManifestObject> Resources(ManifestObject role)
    {
        var named = Rules(role).SelectMany(rule => Strings(rule, "apiGroups").SelectMany(g => Strings(rule, "resources").Select(r => (g, r)))).ToHashSet();
        var kinds = _objects.Where(o => o.IsCrd && named.Contains((o.Body["spec"]?["group"]?.ToString() ?? "", o.Body["spec"]?["names"]?["plural"]?.ToString() ?? "")))
            .SelectMany(c => c.DefinedTypes).ToHashSet();
        return [.. _objects.Where(o => kinds.Contains((o.ApiVersion, o.Kind)))];
    }
}
