namespace Kargo.Airgap.Install.Kubernetes;

/// <summary>The order objects are applied in, by what they need from the cluster.</summary>
public sealed record ApplyPlan(
    IReadOnlyList<ManifestObject> Crds,
    IReadOnlyList<ManifestObject> Namespaces,
    IReadOnlyList<ManifestObject> Operators,
    IReadOnlyList<ManifestObject> CustomResources)
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
        var defined = crds.SelectMany(c => c.DefinedTypes).ToHashSet();
        return new ApplyPlan(
            crds,
            [.. objects.Where(o => o is { Kind: "Namespace", ApiVersion: "v1" })],
            [.. objects.Where(o => !o.IsCrd && o is not { Kind: "Namespace", ApiVersion: "v1" } && !defined.Contains((o.ApiVersion, o.Kind)))],
            [.. objects.Where(o => defined.Contains((o.ApiVersion, o.Kind)))]);
    }

    /// <summary>Kubernetes would put them in "default", where their bindings and volumes do not point: refused instead.</summary>
    public static KargoException NoNamespace(IReadOnlyList<ManifestObject> objects) =>
        new($"{string.Join("; ", objects.Select(o => $"{o.Source}: {o}"))}: namespaced, but neither the object nor its manifest names a namespace. " +
            "Give the manifest's spec.manifests entry a namespace: (the one its project installs it into, as 'kubectl apply -n') and build again");

    public IEnumerable<string> Describe() =>
    [
        $"apply {Crds.Count} CustomResourceDefinition(s) and wait until each is Established",
        $"apply {Namespaces.Count} namespace(s): {string.Join(", ", Namespaces.Select(n => n.Name))}",
        $"apply {Operators.Count} operator object(s) (kinds the cluster does not serve yet wait until it does)",
        $"apply {CustomResources.Count} custom resource(s): {string.Join(", ", CustomResources)}",
    ];
}

/// <summary>
/// Server-side apply (field manager kargo) in dependency order: CRDs, waiting until each is
/// Established; namespaces; the operators; their custom resources; then settings under a field
/// manager of their own, so they survive a re-apply of the upstream CRs. Errors the cluster may
/// grow out of (a webhook not up yet, a kind not served yet) are retried until the timeout.
/// </summary>
public sealed class PlatformApplier(KubeApi api, Action<string> log, TimeSpan timeout)
{
    public const string FieldManager = "kargo";
    public const string SettingsManager = "kargo-settings";

    private readonly ClusterReadiness _readiness = new(api, log, timeout);

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <returns>What was applied, one line per object.</returns>
    public async Task<IReadOnlyList<string>> ApplyAsync(ApplyPlan plan, IReadOnlyList<ManifestObject> settings, CancellationToken cancellationToken)
    {
        var applied = new List<string>();
        var types = await ResourceTypes.DiscoverAsync(api, cancellationToken);
        foreach (var crd in plan.Crds)
        {
            applied.Add(await ApplyOneAsync(crd, FieldManager, types, cancellationToken));
        }
        foreach (var crd in plan.Crds)
        {
            await _readiness.WaitForEstablishedAsync(crd.Name, cancellationToken);
        }
        types = await ResourceTypes.DiscoverAsync(api, cancellationToken);
        foreach (var item in plan.Namespaces.Concat(plan.Operators).Concat(plan.CustomResources))
        {
            (types, var line) = await ApplyWhenServedAsync(item, FieldManager, types, cancellationToken);
            applied.Add(line);
        }
        foreach (var setting in settings)
        {
            (types, var line) = await ApplyWhenServedAsync(setting, SettingsManager, types, cancellationToken);
            applied.Add(line);
        }
        return applied;
    }

    /// <summary>Waits for the Available condition of every KubeVirt and CDI resource the plan applied.</summary>
    public async Task WaitForPlatformAsync(ApplyPlan plan, CancellationToken cancellationToken)
    {
        var types = await ResourceTypes.DiscoverAsync(api, cancellationToken);
        var namespaces = plan.Namespaces.Select(n => n.Name).ToList();
        foreach (var resource in plan.CustomResources.Where(r => r.Kind is "KubeVirt" or "CDI"))
        {
            var type = types.Find(resource.ApiVersion, resource.Kind) ?? throw new KargoException($"the cluster no longer serves {resource.ApiVersion} {resource.Kind}");
            var ns = resource.NamespaceWhen(type.Namespaced);
            var scope = ns is not null && !namespaces.Contains(ns) ? [.. namespaces, ns] : namespaces;
            await _readiness.WaitForAvailableAsync(resource.ToString(), type.PathOf(resource.Name, ns), scope, cancellationToken);
        }
    }

    /// <summary>Applies once the cluster serves the object's kind (an operator may register it later).</summary>
    public async Task<(ResourceTypes, string)> ApplyWhenServedAsync(ManifestObject item, string manager, ResourceTypes types, CancellationToken cancellationToken)
    {
        if (types.Find(item.ApiVersion, item.Kind) is null)
        {
            await _readiness.UntilAsync($"the cluster to serve {item.ApiVersion} {item.Kind} ({item.Source})", async () =>
            {
                types = await ResourceTypes.DiscoverAsync(api, cancellationToken);
                return types.Find(item.ApiVersion, item.Kind) is not null;
            }, () => Task.FromResult($"  {item.ApiVersion} {item.Kind} is not among the kinds the API server serves: is its operator running?"), cancellationToken);
        }
        return (types, await ApplyOneAsync(item, manager, types, cancellationToken));
    }

    private async Task<string> ApplyOneAsync(ManifestObject item, string manager, ResourceTypes types, CancellationToken cancellationToken)
    {
        var type = types.Find(item.ApiVersion, item.Kind) ?? throw new KargoException($"{item.Source}: the cluster does not serve {item.ApiVersion} {item.Kind}");
        if (type.Namespaced && item.NamespaceWhen(true) is null)
        {
            throw ApplyPlan.NoNamespace([item]);
        }
        var path = type.PathOf(item.Name, item.NamespaceWhen(type.Namespaced));
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await api.ApplyAsync(path, item.Yaml, manager, cancellationToken);
                log($"applied {item} ({item.Source})");
                return $"applied {item}";
            }
            catch (KubeApiException e) when (e.IsTransient && DateTime.UtcNow < deadline)
            {
                log($"{item}: {e.Message}; trying again");
                await Task.Delay(PollInterval, cancellationToken);
            }
            catch (KubeApiException e)
            {
                throw new KargoException($"{item.Source}: {item} was refused: {e.Message}", e);
            }
        }
    }
}
