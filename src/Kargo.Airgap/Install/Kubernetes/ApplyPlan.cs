namespace Kargo.Airgap.Install.Kubernetes;

/// <summary>
/// The objects to apply, in the order each round tries them: CRDs, namespaces, then the rest as the
/// bundle lists them. The order only saves rounds; the applier converges whatever it is.
/// </summary>
public sealed record ApplyPlan(IReadOnlyList<ManifestObject> Crds, IReadOnlyList<ManifestObject> Namespaces, IReadOnlyList<ManifestObject> Others)
{
    /// <summary>The plan for these objects; refused when a namespaced object has no namespace from itself or its manifest.</summary>
    public static ApplyPlan For(IReadOnlyList<ManifestObject> objects)
    {
        var crds = objects.Where(o => o.IsCrd).ToList();
        var scopes = new KindScopes(crds);
        var homeless = objects.Where(o => o.Namespace is null && o.DefaultNamespace is null && scopes.IsNamespaced(o.ApiVersion, o.Kind) == true).ToList();
        if (homeless.Count > 0)
        {
            throw NoNamespace(homeless);
        }
        return new ApplyPlan(crds, [.. objects.Where(IsNamespace)], [.. objects.Where(o => !o.IsCrd && !IsNamespace(o))]);
    }

    private static bool IsNamespace(ManifestObject o) => o is { Kind: "Namespace", ApiVersion: "v1" };

    public IEnumerable<ManifestObject> All => Crds.Concat(Namespaces).Concat(Others);

    /// <summary>Kubernetes would put them in "default", where their bindings and volumes do not point: refused instead.</summary>
    public static KargoException NoNamespace(IReadOnlyList<ManifestObject> objects) =>
        new($"{string.Join("; ", objects.Select(o => $"{o.Source}: {o}"))}: namespaced, but neither the object nor its manifest names a namespace. " +
            "Give the manifest's spec.manifests entry a namespace: (the one its project installs it into, as 'kubectl apply -n') and build again");

    public IEnumerable<string> Describe() =>
    [
        $"converge {Crds.Count + Namespaces.Count + Others.Count} object(s): apply each whose kind the cluster serves and that it accepts, re-discover, repeat " +
            "(kinds an operator registers at run time and webhooks not serving yet wait for a later round); --timeout without progress ends it, naming what still waits",
        $"{Crds.Count} CustomResourceDefinition(s), {Namespaces.Count} namespace(s): {string.Join(", ", Namespaces.Select(n => n.Name))}",
        $"{Others.Count} other object(s)",
    ];
}
