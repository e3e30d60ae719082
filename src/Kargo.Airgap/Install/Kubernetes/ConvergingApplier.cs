using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Kargo.Airgap.Install.Kubernetes;

/// <summary>What kargo sets in a bundled object (feature gates, a trusted registry), merged with what the cluster holds.</summary>
/// <param name="Target">The bundled object it changes.</param>
/// <param name="Render">
/// The YAML of kargo's fields, given the object as the cluster holds it before this apply (null when
/// new: what a user set there) and as the bundle has it.
/// </param>
public sealed record SettingsPatch(ManifestObject Target, Func<JsonNode?, JsonNode?, string> Render);

/// <summary>
/// Server-side apply (field manager kargo) the way a real cluster lets it: in rounds, each applying
/// every object whose kind the API server serves and that it accepts, then discovering again.
/// What the cluster grows out of — a kind an operator registers only once its custom resource
/// exists, a webhook whose pods or certificate are not up yet, a namespace still being made —
/// waits for a later round while the rest go on. An object with settings is applied once, the
/// bundle's fields with kargo's merged in from what the cluster holds, so a re-run that changes
/// nothing moves nothing (applying the upstream CR and then the settings would empty a list for a
/// moment and move its resourceVersion twice). One budget: the step ends when everything is applied, or when nothing
/// has progressed for the timeout, naming each object still waiting and what it waits for.
/// </summary>
public sealed partial class ConvergingApplier(KubeApi api, Action<string> log, TimeSpan timeout)
{
    public const string FieldManager = "kargo";

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    private sealed record Item(ManifestObject Object, SettingsPatch? Settings)
    {
        public override string ToString() => $"{Object} ({Object.Source}){(Settings is null ? "" : " with kargo's settings")}";
    }

    /// <returns>What was applied, one line per object.</returns>
    /// <param name="objects">Every bundled object; a kind no bundled CRD defines is looked up among the operators' RBAC when it waits.</param>
    /// <param name="settings">What kargo merges into some of them.</param>
    /// <param name="cancellationToken">Cancels the step.</param>
    public async Task<IReadOnlyList<string>> ApplyAsync(IReadOnlyList<ManifestObject> objects, IReadOnlyList<SettingsPatch> settings, CancellationToken cancellationToken)
    {
        var plan = ApplyPlan.For(objects);
        var registrars = new KindRegistrars(objects);
        var pending = plan.All.Select(o => new Item(o, settings.FirstOrDefault(s => s.Target == o))).ToList();
        var applied = new List<string>();
        var done = new HashSet<ManifestObject>();
        var waiting = new Dictionary<Item, string>();
        var sinceProgress = Stopwatch.StartNew();
        var round = 0;
        while (pending.Count > 0)
        {
            round++;
            var progressed = false;
            ResourceTypes? types = null;
            try
            {
                types = await ResourceTypes.DiscoverAsync(api, cancellationToken);
            }
            catch (KubeApiException e) when (e.IsTransient)
            {
                foreach (var item in pending)
                {
                    waiting[item] = $"the API server's discovery: {e.Message}";
                }
            }
            foreach (var item in types is null ? [] : pending.ToList())
            {
                var (ok, why) = await TryApplyAsync(item, types!, done, registrars, cancellationToken);
                if (ok)
                {
                    pending.Remove(item);
                    waiting.Remove(item);
                    done.Add(item.Object);
                    applied.Add(Terminal.Printable($"applied {item}"));
                    progressed = true;
                }
                else
                {
                    waiting[item] = why!;
                }
            }
            if (pending.Count == 0)
            {
                break;
            }
            if (progressed)
            {
                sinceProgress.Restart();
                log(Terminal.Printable($"round {round}: {applied.Count} applied, {pending.Count} waiting ({string.Join("; ", pending.Take(3).Select(p => $"{p.Object}: {Short(waiting[p])}"))}{(pending.Count > 3 ? "; …" : "")})"));
                continue;
            }
            if (sinceProgress.Elapsed >= timeout)
            {
                throw new KargoException($"nothing more could be applied for {Minutes(timeout)} ({applied.Count} applied); still waiting:\n" +
                    string.Concat(pending.Select(p => $"  {Terminal.Printable(p.ToString())}: {Terminal.Printable(waiting[p])}\n")) +
                    "Once what they wait for runs, 'kargo-offline install' again resumes here; a longer --timeout gives a slow node more time.");
            }
            await Task.Delay(PollInterval, cancellationToken);
        }
        return applied;
    }

    private async Task<(bool Applied, string? Why)> TryApplyAsync(Item item, ResourceTypes types, HashSet<ManifestObject> done, KindRegistrars registrars, CancellationToken cancellationToken)
    {
        var target = item.Object;
        if (types.Find(target.ApiVersion, target.Kind) is not { } type)
        {
            return (false, registrars.Explain(target.ApiVersion, target.Kind, done.Contains));
        }
        if (type.Namespaced && target.NamespaceWhen(true) is null)
        {
            throw ApplyPlan.NoNamespace([target]);
        }
        var path = type.PathOf(target.Name, target.NamespaceWhen(type.Namespaced));
        try
        {
            var yaml = item.Settings is { } patch
                ? Merged(target.Body, YamlJson.Convert(Spec.YamlText.Load(patch.Render(await api.GetAsync(path, cancellationToken), target.Body), target.Source).Documents[0].RootNode)).ToJsonString()
                : target.Yaml;
            // As fluxcd/pkg's ssa does: a server-side dry run first, so an object the apply would not change is left
            // alone (kube-apiserver 1.20 moves a Namespace's resourceVersion on every apply, however unchanged).
            var live = await api.GetAsync(path, cancellationToken);
            if (live is not null && Same(live, await api.ApplyAsync(path, yaml, FieldManager, cancellationToken, dryRun: true)))
            {
                log(Terminal.Printable($"unchanged {item}"));
                return (true, null);
            }
            await api.ApplyAsync(path, yaml, FieldManager, cancellationToken);
            log(Terminal.Printable($"applied {item}"));
            return (true, null);
        }
        catch (KubeApiException e) when (GrowsOutOf(e))
        {
            return (false, Reason(e));
        }
        catch (KubeApiException e)
        {
            throw new KargoException(Terminal.Printable($"{target.Source}: {target} was refused: {e.Message}"), e);
        }
    }

    /// <summary>
    /// Refusals a cluster grows out of: a kind or namespace not there yet (404), a webhook that
    /// cannot be called (its service without endpoints, its certificate not issued), a namespace
    /// being set up or torn down, the server busy. A webhook that answers "denied" is a real refusal.
    /// </summary>
    private static bool GrowsOutOf(KubeApiException e) =>
        e.IsTransient || e.Status == HttpStatusCode.NotFound || e.Status == HttpStatusCode.Conflict
        || e.Status == HttpStatusCode.Forbidden && e.Message.Contains("is being terminated", StringComparison.Ordinal);

    private static string Reason(KubeApiException e)
    {
        if (WebhookCall().Match(e.Message) is { Success: true } call)
        {
            return $"webhook {call.Groups["name"].Value} (at {call.Groups["host"].Value}) does not answer yet — its pods, endpoints or certificate are not up: {e.Message}";
        }
        return e.Status == HttpStatusCode.NotFound && e.Message.Contains("namespaces \"", StringComparison.Ordinal)
            ? $"its namespace does not exist yet: {e.Message}"
            : e.Message;
    }

    /// <summary>The object the apply would make is the one there, but for the bookkeeping every write changes.</summary>
    private static bool Same(JsonNode live, JsonNode wouldBe)
    {
        static JsonNode? Content(JsonNode node)
        {
            var copy = node.DeepClone();
            if (copy["metadata"] is JsonObject metadata)
            {
                metadata.Remove("managedFields");
                metadata.Remove("resourceVersion");
                metadata.Remove("generation");
            }
            return copy;
        }
        return JsonNode.DeepEquals(Content(live), Content(wouldBe));
    }

    /// <summary>The bundle's object with kargo's fields laid over it: mappings merged, anything else replaced.</summary>
    private static JsonObject Merged(JsonObject bundled, JsonNode? settings)
    {
        var merged = (JsonObject)bundled.DeepClone();
        foreach (var (key, value) in settings as JsonObject ?? [])
        {
            merged[key] = merged[key] is JsonObject inner && value is JsonObject over ? Merged(inner, over) : value?.DeepClone();
        }
        return merged;
    }

    private static string Short(string reason) => reason.Length <= 120 ? reason : reason[..117] + "…";

    private static string Minutes(TimeSpan span) => span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0.#} s";

    [GeneratedRegex("failed calling webhook \"(?<name>[^\"]+)\":.*?https?://(?<host>[^/\"\\s]+)")]
    private static partial Regex WebhookCall();
}
