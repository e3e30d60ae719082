using System.Text;
using System.Text.Json.Nodes;

namespace Kargo.Airgap.Install.Kubernetes;

/// <summary>
/// Waits for the cluster to reach a state, polling the API; on timeout says what is not ready:
/// the object's conditions and the pods that are not running, with their image pull errors.
/// </summary>
public sealed class ClusterReadiness(KubeApi api, Action<string> log, TimeSpan timeout)
{
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    public Task WaitForNodeReadyAsync(CancellationToken cancellationToken) =>
        UntilAsync("a Ready node", async () =>
        {
            var nodes = await api.GetAsync("/api/v1/nodes", cancellationToken);
            return nodes?["items"]?.AsArray().Any(n => IsTrue(n, "Ready")) == true;
        }, () => Task.FromResult("no node reports Ready: see 'journalctl -u k3s'"), cancellationToken);

    public async Task UntilAsync(string what, Func<Task<bool>> done, Func<Task<string>> explain, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        log($"waiting for {what} (up to {timeout.TotalMinutes:0.#} min)");
        string? lastError = null;
        while (true)
        {
            try
            {
                if (await done())
                {
                    log($"{what}: yes");
                    return;
                }
            }
            catch (KubeApiException e) when (e.IsTransient)
            {
                lastError = e.Message;
            }
            if (DateTime.UtcNow >= deadline)
            {
                string report;
                try
                {
                    report = await explain();
                }
                catch (KubeApiException e)
                {
                    report = e.Message;
                }
                throw new KargoException($"timed out after {timeout.TotalMinutes:0.#} min waiting for {what}.{(lastError is null ? "" : $" Last error: {lastError}.")}\n{report.TrimEnd()}");
            }
            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    private static bool IsTrue(JsonNode? node, string condition) =>
        node?["status"]?["conditions"]?.AsArray().Any(c => c?["type"]?.GetValue<string>() == condition && c["status"]?.GetValue<string>() == "True") == true;

    /// <summary>An object's conditions, one line each, or that it does not exist or reports none.</summary>
    public static string Conditions(JsonNode? node)
    {
        if (node is null)
        {
            return "  it does not exist\n";
        }
        var conditions = node["status"]?["conditions"]?.AsArray() ?? [];
        if (conditions.Count == 0)
        {
            return "  it reports no conditions yet\n";
        }
        var text = new StringBuilder("  conditions:\n");
        foreach (var c in conditions)
        {
            text.Append($"    {c?["type"]}={c?["status"]}{(c?["reason"] is { } reason ? $" ({reason})" : "")}{(c?["message"] is { } message ? $": {message}" : "")}\n");
        }
        return text.ToString();
    }

    /// <summary>Pods that are not running or done, with why each container waits (ImagePullBackOff and its message).</summary>
    public async Task<string> PodProblemsAsync(IReadOnlyList<string> namespaces, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        foreach (var ns in namespaces)
        {
            var pods = await api.GetAsync($"/api/v1/namespaces/{ns}/pods", cancellationToken);
            foreach (var pod in pods?["items"]?.AsArray() ?? [])
            {
                var phase = pod?["status"]?["phase"]?.GetValue<string>();
                var statuses = pod?["status"]?["containerStatuses"]?.AsArray() ?? [];
                var waiting = statuses.Where(s => s?["state"]?["waiting"] is not null).ToList();
                if (phase is "Running" or "Succeeded" && waiting.Count == 0)
                {
                    continue;
                }
                text.Append($"  pod {ns}/{pod?["metadata"]?["name"]} is {phase ?? "unknown"}\n");
                foreach (var status in waiting)
                {
                    var state = status!["state"]!["waiting"]!;
                    text.Append($"    {status["name"]} ({status["image"]}): {state["reason"]}{(state["message"] is { } message ? $": {message}" : "")}\n");
                }
            }
        }
        return text.Length == 0 ? "  no pod in " + string.Join(", ", namespaces) + " is failing\n" : text.ToString();
    }
}
