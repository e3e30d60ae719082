using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Kargo.Airgap.Install.Kubernetes;

/// <summary>A change kargo makes to a bundled object after it is applied (feature gates, a trusted registry), from what the cluster holds now.</summary>
/// <param name="Target">The bundled object it changes; applied first.</param>
/// <param name="Render">
/// The YAML to apply under the settings manager, given the object as the cluster held it before this
/// install applied it (null when new: what a user set there) and as it holds it now.
/// </param>
public sealed record SettingsPatch(ManifestObject Target, Func<JsonNode?, JsonNode?, string> Render);

/// <summary>
/// Server-side apply (field manager kargo) the way a real cluster lets it: in rounds, each applying
/// every object whose kind the API server serves and that it accepts, then discovering again.
/// What the cluster grows out of — a kind an operator registers only once its custom resource
/// exists, a webhook whose pods or certificate are not up yet, a namespace still being made —
/// waits for a later round while the rest go on. Settings follow their object under a field
/// manager of their own. One budget: the step ends when everything is applied, or when nothing
/// has progressed for the timeout, naming each object still waiting and what it waits for.
/// </summary>
public sealed partial class ConvergingApplier(KubeApi api, Action<string> log, TimeSpan timeout)
{
    public const string FieldManager = "kargo";
    public const string SettingsManager = "kargo-settings";

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    private sealed record Item(ManifestObject Object, SettingsPatch? Settings)
    {
        public string Manager => Settings is null ? FieldManager : SettingsManager;

        public override string ToString() => Settings is null ? $"{Object} ({Object.Source})" : $"kargo's settings of {Object}";
    }

    /// <returns>What was applied, one line per object.</returns>
    /// <param name="objects">Every bundled object; a kind no bundled CRD defines is looked up among the operators' RBAC when it waits.</param>
    /// <param name="settings">Changes to apply once their target is.</param>
    /// <param name="cancellationToken">Cancels the step.</param>
    public async Task<IReadOnlyList<string>> ApplyAsync(IReadOnlyList<ManifestObject> objects, IReadOnlyList<SettingsPatch> settings, CancellationToken cancellationToken)
    {
        var plan = ApplyPlan.For(objects);
        var registrars = new KindRegistrars(objects);
        var pending = plan.All.Select(o => new Item(o, null)).Concat(settings.Select(s => new Item(s.Target, s))).ToList();
        var applied = new List<string>();
        var done = new HashSet<ManifestObject>();
        var before = new Dictionary<ManifestObject, JsonNode?>();
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
                var (ok, why) = await TryApplyAsync(item, types!, done, before, registrars, settings, cancellationToken);
                if (ok)
                {
                    pending.Remove(item);
                    waiting.Remove(item);
                    done.Add(item.Object);
                    applied.Add($"applied {item}");
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

    private async Task<(bool Applied, string? Why)> TryApplyAsync(Item item, ResourceTypes types, HashSet<ManifestObject> done, Dictionary<ManifestObject, JsonNode?> before,
        KindRegistrars registrars, IReadOnlyList<SettingsPatch> settings, CancellationToken cancellationToken)
    {
        var target = item.Object;
        if (item.Settings is not null && !done.Contains(target))
        {
            return (false, $"{target} to be applied first");
        }
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
            if (item.Settings is null && settings.Any(s => s.Target == target) && !before.ContainsKey(target))
            {
                // The upstream CR is applied as published (an empty featureGates list too): keep what the cluster had, for its settings to merge.
                before[target] = await api.GetAsync(path, cancellationToken);
            }
            var yaml = item.Settings is { } patch ? patch.Render(before.GetValueOrDefault(target), await api.GetAsync(path, cancellationToken)) : target.Yaml;
            await api.ApplyAsync(path, yaml, item.Manager, cancellationToken);
            log($"applied {item}");
            return (true, null);
        }
        catch (KubeApiException e) when (GrowsOutOf(e))
        {
            return (false, Reason(e));
        }
        catch (KubeApiException e)
        {
            throw new KargoException($"{target.Source}: {target} was refused: {e.Message}", e);
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

    private static string Short(string reason) => reason.Length <= 120 ? reason : reason[..117] + "…";

    private static string Minutes(TimeSpan span) => span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0.#} s";

    [GeneratedRegex("failed calling webhook \"(?<name>[^\"]+)\":.*?https?://(?<host>[^/\"\\s]+)")]
    private static partial Regex WebhookCall();
}
