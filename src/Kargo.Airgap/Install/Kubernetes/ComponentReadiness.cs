using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Kargo.Airgap.Install.Kubernetes;

/// <summary>One object's own signal that it is ready, read from what the API server holds.</summary>
/// <param name="Object">The bundled object.</param>
/// <param name="Signal">What is waited for, as a person reads it: "rolled out", "Available".</param>
/// <param name="IsReady">The check on the object as the cluster holds it (null: it does not exist).</param>
public sealed record ReadinessSignal(ManifestObject Object, string Signal, Func<JsonNode?, bool> IsReady);

/// <summary>
/// Readiness of everything an install applied, by the cluster's own signals (kstatus' rules, as
/// fluxcd/pkg's ssa waits for them): Deployments, StatefulSets and DaemonSets rolled out, CRDs
/// Established, and every custom resource of a bundled CRD that reports a status — its CRD has a
/// status subresource, or a bundled operator's RBAC names its group (CDI's and HPP's CRDs publish no
/// status subresource) — Available or Ready: KubeVirt, CDI, NetworkAddonsConfig,
/// HostPathProvisioner, cert-manager's Issuers and Certificates, and any of spec.manifests. All share one budget; at its end every object not ready is
/// named with its conditions, and the pods of its namespace that are not running.
/// </summary>
public sealed class ComponentReadiness(KubeApi api, Action<string> log, TimeSpan timeout)
{
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The signals of these applied objects; objects without one (a ConfigMap, a Service) are ready once applied.</summary>
    public static IReadOnlyList<ReadinessSignal> SignalsOf(IReadOnlyList<ManifestObject> objects)
    {
        var operators = new KindRegistrars(objects);
        var withStatus = objects.Where(o => o.IsCrd)
            .SelectMany(crd => crd.DefinedTypes.Where(t => HasStatus(crd, t.ApiVersion) || operators.IsOperated(ManifestObject.GroupOf(t.ApiVersion)))).ToHashSet();
        var signals = new List<ReadinessSignal>();
        foreach (var item in objects)
        {
            ReadinessSignal? signal = item switch
            {
                { IsCrd: true } => new(item, "Established", o => Condition(o, "Established") == "True"),
                { Group: "apps", Kind: "Deployment" or "StatefulSet" or "DaemonSet" } => new(item, "rolled out", o => IsRolledOut(item.Kind, o)),
                _ when withStatus.Contains((item.ApiVersion, item.Kind)) => new(item, "Available or Ready", AvailableOrReady),
                _ => null,
            };
            if (signal is not null)
            {
                signals.Add(signal);
            }
        }
        return signals;
    }

    /// <summary>Waits until every signal is true, all within one budget.</summary>
    public async Task WaitAsync(IReadOnlyList<ReadinessSignal> signals, CancellationToken cancellationToken)
    {
        var types = await ResourceTypes.DiscoverAsync(api, cancellationToken);
        var waiting = signals.ToList();
        var last = new Dictionary<ReadinessSignal, JsonNode?>();
        var clock = Stopwatch.StartNew();
        log($"waiting for {waiting.Count} object(s) to be ready (up to {timeout.TotalMinutes:0.#} min in all)");
        while (true)
        {
            foreach (var signal in waiting.ToList())
            {
                try
                {
                    types = types.Find(signal.Object.ApiVersion, signal.Object.Kind) is null ? await ResourceTypes.DiscoverAsync(api, cancellationToken) : types;
                    var node = types.Find(signal.Object.ApiVersion, signal.Object.Kind) is { } type
                        ? await api.GetAsync(type.PathOf(signal.Object.Name, signal.Object.NamespaceWhen(type.Namespaced)), cancellationToken)
                        : null;
                    last[signal] = node;
                    if (signal.IsReady(node))
                    {
                        waiting.Remove(signal);
                        log(Terminal.Printable($"{signal.Object}: {signal.Signal}"));
                    }
                }
                catch (KubeApiException e) when (e.IsTransient)
                {
                    log(Terminal.Printable($"{signal.Object}: {e.Message}"));
                }
            }
            if (waiting.Count == 0)
            {
                return;
            }
            if (clock.Elapsed >= timeout)
            {
                throw new KargoException(await ReportAsync(waiting, last, cancellationToken));
            }
            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    private async Task<string> ReportAsync(List<ReadinessSignal> waiting, Dictionary<ReadinessSignal, JsonNode?> last, CancellationToken cancellationToken)
    {
        var text = new System.Text.StringBuilder($"timed out after {timeout.TotalMinutes:0.#} min waiting for {waiting.Count} object(s) to be ready:\n");
        foreach (var signal in waiting)
        {
            text.Append($"  {signal.Object} ({signal.Object.Source}) is not {signal.Signal}\n");
            text.Append(string.Concat(ClusterReadiness.Conditions(last.GetValueOrDefault(signal)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => $"  {line}\n")));
        }
        var namespaces = waiting.Select(s => s.Object.NamespaceWhen(true)).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
        if (namespaces.Count > 0)
        {
            try
            {
                text.Append(await new ClusterReadiness(api, log, timeout).PodProblemsAsync(namespaces, cancellationToken));
            }
            catch (KubeApiException e)
            {
                text.Append($"  pods: {e.Message}\n");
            }
        }
        return Printable(text.ToString().TrimEnd());
    }

    /// <summary>Each line made printable on its own, the line breaks kept.</summary>
    private static string Printable(string text) => string.Join('\n', text.Split('\n').Select(Terminal.Printable));

    private static bool HasStatus(ManifestObject crd, string apiVersion) =>
        (crd.Body["spec"]?["versions"] as JsonArray ?? []).Any(v => $"{crd.Body["spec"]?["group"]}/{v?["name"]}" == apiVersion && v?["subresources"]?["status"] is not null)
        || crd.Body["spec"]?["subresources"]?["status"] is not null;

    private static string? Condition(JsonNode? node, string type) =>
        (node?["status"]?["conditions"] as JsonArray ?? []).FirstOrDefault(c => c?["type"]?.ToString() == type)?["status"]?.ToString();

    /// <summary>Available or Ready True; an object reporting conditions of other names only is taken as ready (it has no such signal).</summary>
    private static bool AvailableOrReady(JsonNode? node)
    {
        // A condition from before the controller saw this generation says nothing of it (kstatus).
        if (node?["status"]?["observedGeneration"] is not null && Number(node["status"], "observedGeneration") < Number(node["metadata"], "generation"))
        {
            return false;
        }
        if (Condition(node, "Available") is { } available)
        {
            return available == "True";
        }
        if (Condition(node, "Ready") is { } ready)
        {
            return ready == "True";
        }
        return (node?["status"]?["conditions"] as JsonArray)?.Count > 0;
    }

    private static long Number(JsonNode? node, string key, long fallback = 0) => node?[key] is JsonValue value && value.TryGetValue<long>(out var n) ? n : fallback;

    /// <summary>A Deployment, StatefulSet or DaemonSet rolled out, by kstatus' rules; the kind comes from the caller (list items carry none).</summary>
    public static bool IsRolledOut(string kind, JsonNode? node) => kind switch
    {
        "DaemonSet" => DaemonSetRolledOut(node),
        "StatefulSet" => RolledOut(node, statefulSet: true),
        _ => RolledOut(node, statefulSet: false),
    };

    /// <summary>kstatus for a Deployment or StatefulSet: the controller saw this generation, and every replica is updated and ready.</summary>
    private static bool RolledOut(JsonNode? node, bool statefulSet)
    {
        var status = node?["status"];
        var replicas = Number(node?["spec"], "replicas", 1);
        return status is not null
            && Number(status, "observedGeneration") >= Number(node?["metadata"], "generation")
            && Number(status, "updatedReplicas") >= replicas
            && Number(status, "replicas", replicas) <= Number(status, "updatedReplicas") // no old pod still terminating
            && Number(status, "readyReplicas") >= replicas
            && (statefulSet || Number(status, "availableReplicas") >= replicas);
    }

    /// <summary>kstatus for a DaemonSet: this generation seen, every pod it schedules updated and available.</summary>
    private static bool DaemonSetRolledOut(JsonNode? node)
    {
        var status = node?["status"];
        var desired = Number(status, "desiredNumberScheduled");
        return status is not null
            && Number(status, "observedGeneration") >= Number(node?["metadata"], "generation")
            && Number(status, "updatedNumberScheduled") >= desired
            && Number(status, "numberAvailable") >= desired;
    }
}
