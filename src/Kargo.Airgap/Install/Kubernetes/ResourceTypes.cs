using System.Text.Json.Nodes;

namespace Kargo.Airgap.Install.Kubernetes;

/// <summary>A kind the API server serves: its plural path segment and whether it lives in a namespace.</summary>
public sealed record ResourceType(string ApiVersion, string Kind, string Plural, bool Namespaced)
{
    /// <summary>The API path of one object of this type.</summary>
    public string PathOf(string name, string? ns)
    {
        var prefix = ApiVersion.Contains('/', StringComparison.Ordinal) ? $"/apis/{ApiVersion}" : $"/api/{ApiVersion}";
        var scope = Namespaced ? $"/namespaces/{ns ?? throw new KargoException($"{Kind} {name} lives in a namespace and has none")}" : "";
        return $"{prefix}{scope}/{Plural}/{Uri.EscapeDataString(name)}";
    }
}

/// <summary>The kinds the API server serves now, read from discovery (/api/v1, /apis, /apis/GROUP/VERSION).</summary>
public sealed class ResourceTypes
{
    private readonly Dictionary<(string, string), ResourceType> _types = [];

    public ResourceType? Find(string apiVersion, string kind) => _types.GetValueOrDefault((apiVersion, kind));

    /// <summary>Group versions the server lists but could not answer for, with why.</summary>
    public List<string> Unavailable { get; } = [];

    /// <summary>Every kind served, in discovery's order (a group's preferred version first).</summary>
    public IReadOnlyList<ResourceType> All => [.. _types.Values];

    public static async Task<ResourceTypes> DiscoverAsync(KubeApi api, CancellationToken cancellationToken)
    {
        var types = new ResourceTypes();
        var versions = new List<string> { "v1" };
        if (await api.GetAsync("/apis", cancellationToken) is { } groups)
        {
            versions.AddRange(groups["groups"]?.AsArray().SelectMany(g => g?["versions"]?.AsArray() ?? []).Select(v => v?["groupVersion"]?.GetValue<string>()).OfType<string>() ?? []);
        }
        foreach (var version in versions)
        {
            JsonNode? list;
            try
            {
                list = await api.GetAsync(version == "v1" ? "/api/v1" : $"/apis/{version}", cancellationToken);
            }
            catch (KubeApiException e) when (e.IsTransient && version != "v1")
            {
                // As kubectl does: an aggregated API whose service is down (KubeVirt's subresources while virt-api
                // starts, metrics.k8s.io) leaves its kinds out; the rest of discovery stands.
                types.Unavailable.Add($"{version}: {e.Message}");
                continue;
            }
            foreach (var resource in list?["resources"]?.AsArray() ?? [])
            {
                var name = resource?["name"]?.GetValue<string>();
                var kind = resource?["kind"]?.GetValue<string>();
                if (name is null || kind is null || name.Contains('/', StringComparison.Ordinal))
                {
                    continue; // a subresource such as pods/log
                }
                types._types.TryAdd((version, kind), new ResourceType(version, kind, name, resource?["namespaced"]?.GetValue<bool>() ?? false));
            }
        }
        return types;
    }
}
