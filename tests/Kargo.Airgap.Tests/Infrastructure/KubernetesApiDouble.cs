using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// A DOUBLE of the Kubernetes API server, not a real one (none can run here): Kestrel on 127.0.0.1
/// answering what an install uses, the way the real server does. Bearer-token auth; discovery
/// (/api/v1, /apis, /apis/GROUP/VERSION); server-side apply (PATCH application/apply-patch+yaml,
/// fieldManager required, objects merged); GET of objects and lists. A CRD becomes Established
/// after <see cref="EstablishDelay"/> and only then is its kind served: a custom resource applied
/// before that gets the real server's 404. Like their operators, a KubeVirt CR becomes Available
/// and registers VirtualMachine, and a CDI CR becomes Available and registers DataVolume, after
/// <see cref="OperatorDelay"/> — unless listed in <see cref="NeverAvailable"/>. Workloads and the
/// platform's custom resources "start" the pods their controllers would (<see cref="StandInOperators"/>);
/// lists honour equality label selectors; a test puts what other controllers make (a job, a pod) with <see cref="Put"/>:
/// <see cref="Started"/> lists every image a node would then pull.
/// The opt-in end-to-end test runs the same install against a real cluster.
/// </summary>
public sealed class KubernetesApiDouble : IAsyncDisposable
{
    public const string Token = "double-token";
    private readonly WebApplication _app;
    private readonly TempDir _dir = new();
    private readonly object _gate = new();
    private readonly Dictionary<string, JsonObject> _objects = new(StringComparer.Ordinal);
    private readonly Dictionary<(string ApiVersion, string Plural), (string Kind, bool Namespaced)> _served = [];

    public TimeSpan EstablishDelay { get; init; } = TimeSpan.FromMilliseconds(300);
    public TimeSpan OperatorDelay { get; init; } = TimeSpan.FromMilliseconds(300);
    public HashSet<string> NeverAvailable { get; } = [];

    /// <summary>Every request, in order: "PATCH /apis/…?fieldManager=kargo", "GET …", with its answer's status.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Every image a pod was started with, and the pod that started it ("NAMESPACE/POD" or the CR's name).</summary>
    public ConcurrentDictionary<string, string> Started { get; } = new(StringComparer.Ordinal);

    /// <summary>Each apply, in order, as "MANAGER KIND NAME".</summary>
    public ConcurrentQueue<string> Applies { get; } = new();

    public string Kubeconfig => _dir["kubeconfig"];
    public int Port { get; }

    private KubernetesApiDouble(WebApplication app, int port)
    {
        _app = app;
        Port = port;
        foreach (var (version, plural, kind, namespaced) in new[]
        {
            ("v1", "namespaces", "Namespace", false), ("v1", "pods", "Pod", true), ("v1", "nodes", "Node", false),
            ("v1", "services", "Service", true), ("v1", "serviceaccounts", "ServiceAccount", true), ("v1", "configmaps", "ConfigMap", true),
            ("v1", "secrets", "Secret", true), ("apps/v1", "deployments", "Deployment", true), ("apps/v1", "daemonsets", "DaemonSet", true),
            ("batch/v1", "jobs", "Job", true), ("apps/v1", "statefulsets", "StatefulSet", true),
            ("apps/v1", "replicasets", "ReplicaSet", true), ("batch/v1", "cronjobs", "CronJob", true),
            ("rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", false), ("rbac.authorization.k8s.io/v1", "clusterrolebindings", "ClusterRoleBinding", false),
            ("rbac.authorization.k8s.io/v1", "roles", "Role", true), ("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding", true),
            ("scheduling.k8s.io/v1", "priorityclasses", "PriorityClass", false), ("storage.k8s.io/v1", "storageclasses", "StorageClass", false),
            ("admissionregistration.k8s.io/v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false),
            ("admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false),
            ("apiextensions.k8s.io/v1", "customresourcedefinitions", "CustomResourceDefinition", false),
        })
        {
            _served[(version, plural)] = (kind, namespaced);
        }
        _objects["/api/v1/nodes/node-1"] = Object("v1", "Node", "node-1", null, Conditions("Ready"));
        File.WriteAllText(Kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: double
              cluster: {"{"}server: "http://127.0.0.1:{port}"{"}"}
            users:
            - name: kargo
              user: {"{"}token: {Token}{"}"}
            contexts:
            - name: double
              context: {"{"}cluster: double, user: kargo{"}"}
            current-context: double
            """);
    }

    public static async Task<KubernetesApiDouble> StartAsync(Action<KubernetesApiDouble>? configure = null)
    {
        KubernetesApiDouble? api = null;
        var (app, port) = await Loopback.StartKestrelAsync(a => a.Run(context => api!.HandleAsync(context)));
        api = new KubernetesApiDouble(app, port);
        configure?.Invoke(api);
        return api;
    }

    /// <summary>A pod as the kubelet reports one whose image cannot be pulled.</summary>
    public void AddFailingPod(string ns, string name, string image, string reason, string message)
    {
        var status = new JsonObject
        {
            ["phase"] = "Pending",
            ["containerStatuses"] = new JsonArray(new JsonObject
            {
                ["name"] = name,
                ["image"] = image,
                ["state"] = new JsonObject { ["waiting"] = new JsonObject { ["reason"] = reason, ["message"] = message } },
            }),
        };
        lock (_gate)
        {
            _objects[$"/api/v1/namespaces/{ns}/pods/{name}"] = Object("v1", "Pod", name, ns, status);
        }
    }

    /// <summary>Puts an object where the API serves it, as a controller of the cluster would have made it (a job, a pod).</summary>
    public void Put(string path, string apiVersion, string kind, string name, string? ns, JsonObject status, IReadOnlyDictionary<string, string>? labels = null, JsonObject? spec = null)
    {
        var item = Object(apiVersion, kind, name, ns, status);
        if (spec is not null)
        {
            item["spec"] = spec;
        }
        if (labels is not null)
        {
            item["metadata"]!["labels"] = new JsonObject(labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value)));
        }
        lock (_gate)
        {
            _objects[path] = item;
        }
    }

    /// <summary>Serves a kind, as the API server does once a CRD for it is Established (or an operator registered it).</summary>
    public void Serve(string apiVersion, string plural, string kind, bool namespaced)
    {
        lock (_gate)
        {
            _served[(apiVersion, plural)] = (kind, namespaced);
        }
    }

    /// <summary>Equality terms only (k=v,k2=v2), the form the install uses.</summary>
    private static Dictionary<string, string> LabelSelector(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(t => t.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);

    public JsonObject? Get(string path)
    {
        lock (_gate)
        {
            return _objects.TryGetValue(path, out var found) ? (JsonObject)found.DeepClone() : null;
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var (status, body) = request.Headers.Authorization.ToString() != $"Bearer {Token}"
            ? (401, StatusObject(401, "Unauthorized"))
            : await AnswerAsync(request);
        Requests.Enqueue($"{request.Method} {request.Path}{request.QueryString} {status}");
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    private async Task<(int, JsonNode)> AnswerAsync(HttpRequest request)
    {
        var path = request.Path.Value!.TrimEnd('/');
        lock (_gate)
        {
            if (request.Method == "GET" && Discovery(path) is { } discovery)
            {
                return (200, discovery);
            }
        }
        if (Parse(path) is not { } target)
        {
            return (404, StatusObject(404, "the server could not find the requested resource"));
        }
        if (request.Method == "PATCH")
        {
            using var reader = new StreamReader(request.Body);
            return Apply(request, target, await reader.ReadToEndAsync());
        }
        if (request.Method != "GET")
        {
            return (405, StatusObject(405, "method not allowed"));
        }
        lock (_gate)
        {
            if (target.Name is null)
            {
                var prefix = path + "/";
                var selector = LabelSelector(request.Query["labelSelector"].ToString());
                // A namespaced kind listed without a namespace: its objects in every namespace, as the real server lists them.
                var across = target.Namespace is null && _served[(target.ApiVersion, target.Plural)].Namespaced;
                var group = target.ApiVersion.Contains('/', StringComparison.Ordinal) ? $"/apis/{target.ApiVersion}/namespaces/" : "/api/v1/namespaces/";
                bool InList(string key) => across
                    ? key.StartsWith(group, StringComparison.Ordinal) && key[group.Length..].Split('/') is [_, var plural, _] && plural == target.Plural
                    : key.StartsWith(prefix, StringComparison.Ordinal) && !key[prefix.Length..].Contains('/', StringComparison.Ordinal);
                var items = _objects.Where(o => InList(o.Key))
                    .Where(o => selector.All(l => o.Value["metadata"]?["labels"]?[l.Key]?.GetValue<string>() == l.Value))
                    .Select(o => (JsonNode)o.Value.DeepClone()).ToArray();
                return (200, new JsonObject { ["kind"] = target.Kind + "List", ["apiVersion"] = target.ApiVersion, ["items"] = new JsonArray(items) });
            }
            return _objects.TryGetValue(path, out var found) ? (200, found.DeepClone()) : (404, StatusObject(404, $"{target.Plural} \"{target.Name}\" not found"));
        }
    }

    private sealed record Target(string ApiVersion, string Plural, string Kind, string? Namespace, string? Name);

    /// <summary>The type and object a path names, when the type is served.</summary>
    private Target? Parse(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        string version;
        int rest;
        if (parts is ["api", "v1", ..])
        {
            (version, rest) = ("v1", 2);
        }
        else if (parts.Length >= 3 && parts[0] == "apis")
        {
            (version, rest) = ($"{parts[1]}/{parts[2]}", 3);
        }
        else
        {
            return null;
        }
        var tail = parts[rest..];
        string? ns = null;
        if (tail.Length >= 3 && tail[0] == "namespaces")
        {
            ns = tail[1];
            tail = tail[2..];
        }
        if (tail.Length is < 1 or > 2)
        {
            return null;
        }
        lock (_gate)
        {
            if (!_served.TryGetValue((version, tail[0]), out var type))
            {
                return null;
            }
            // A namespaced kind is addressed in a namespace, except when listed across all of them.
            var list = tail.Length == 1 && ns is null;
            return type.Namespaced == (ns is not null) || list ? new Target(version, tail[0], type.Kind, ns, tail.Length == 2 ? tail[1] : null) : null;
        }
    }

    private (int, JsonNode) Apply(HttpRequest request, Target target, string yaml)
    {
        if (request.ContentType != "application/apply-patch+yaml" && request.ContentType?.StartsWith("application/apply-patch+yaml;", StringComparison.Ordinal) != true)
        {
            return (415, StatusObject(415, $"the body of the request was in an unknown format: {request.ContentType}"));
        }
        var manager = request.Query["fieldManager"].ToString();
        if (manager.Length == 0)
        {
            return (422, StatusObject(422, "PATCH, fieldManager: Required value: is required for apply patch"));
        }
        JsonObject applied;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            applied = (JsonObject)ToJson(stream.Documents.Single().RootNode)!;
        }
        catch (Exception e) when (e is YamlException or InvalidCastException or InvalidOperationException)
        {
            return (400, StatusObject(400, $"error decoding YAML: {e.Message}"));
        }
        if (applied["kind"]?.GetValue<string>() != target.Kind || applied["metadata"]?["name"]?.GetValue<string>() != target.Name)
        {
            return (400, StatusObject(400, $"the body names {applied["kind"]} {applied["metadata"]?["name"]}, the path {target.Kind} {target.Name}"));
        }
        var path = request.Path.Value!;
        JsonObject result;
        if (request.Query["dryRun"] == "All")
        {
            // What the apply would make, nothing stored, no controller acting (the real server's dryRun=All).
            lock (_gate)
            {
                var would = _objects.TryGetValue(path, out var current) ? (JsonObject)current.DeepClone() : (JsonObject)applied.DeepClone();
                if (current is not null)
                {
                    Merge(would, (JsonObject)applied.DeepClone());
                }
                return (200, would);
            }
        }
        lock (_gate)
        {
            if (_objects.TryGetValue(path, out var existing))
            {
                Merge(existing, applied);
                result = existing;
            }
            else
            {
                result = applied;
                _objects[path] = applied;
                if (target.Namespace is { } ns)
                {
                    applied["metadata"]!["namespace"] = ns;
                }
            }
            Applies.Enqueue($"{manager} {target.Kind} {target.Name}");
        }
        OnApplied(target, path, applied);
        return (200, result.DeepClone());
    }

    /// <summary>What controllers in a real cluster do after an apply.</summary>
    private void OnApplied(Target target, string path, JsonObject applied)
    {
        lock (_gate)
        {
            var current = _objects.GetValueOrDefault(path) ?? applied;
            foreach (var (pod, image) in StandInOperators.Start(target.Kind, current, _objects.Values).ToList())
            {
                Started.TryAdd(image, target.Namespace is { } ns ? $"{ns}/{pod}" : pod);
            }
        }
        switch (target.Kind)
        {
            case "CustomResourceDefinition":
                Later(EstablishDelay, () =>
                {
                    var spec = applied["spec"]!;
                    var group = spec["group"]!.GetValue<string>();
                    foreach (var version in spec["versions"]!.AsArray())
                    {
                        _served[($"{group}/{version!["name"]}", spec["names"]!["plural"]!.GetValue<string>())] =
                            (spec["names"]!["kind"]!.GetValue<string>(), spec["scope"]?.GetValue<string>() != "Cluster");
                    }
                    SetStatus(path, Conditions("Established"));
                });
                break;
            case "KubeVirt" when !NeverAvailable.Contains("KubeVirt"):
                Later(OperatorDelay, () =>
                {
                    _served[("kubevirt.io/v1", "virtualmachines")] = ("VirtualMachine", true);
                    SetStatus(path, Conditions("Available"));
                });
                break;
            case "KubeVirt":
                SetStatus(path, new JsonObject { ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Available", ["status"] = "False", ["reason"] = "DeploymentsNotReady", ["message"] = "virt-api is not ready" }) });
                break;
            // kube-controller-manager and the kubelet roll a workload out (StandInCluster does it against the real server, Secrets checked).
            case "Deployment" or "StatefulSet":
                var replicas = int.TryParse(applied["spec"]?["replicas"]?.ToString(), out var wanted) ? wanted : 1;
                SetStatus(path, new JsonObject { ["observedGeneration"] = 1, ["replicas"] = replicas, ["updatedReplicas"] = replicas, ["readyReplicas"] = replicas, ["availableReplicas"] = replicas });
                break;
            case "DaemonSet":
                SetStatus(path, new JsonObject { ["observedGeneration"] = 1, ["desiredNumberScheduled"] = 1, ["updatedNumberScheduled"] = 1, ["numberReady"] = 1, ["numberAvailable"] = 1 });
                break;
            // CNAO's and HPP's operators report Available; cert-manager its Issuers and Certificates Ready.
            case "NetworkAddonsConfig" or "HostPathProvisioner" when !NeverAvailable.Contains(target.Kind):
                Later(OperatorDelay, () => SetStatus(path, Conditions("Available")));
                break;
            case "Issuer" or "Certificate":
                Later(OperatorDelay, () => SetStatus(path, Conditions("Ready")));
                break;
            case "CDI" when !NeverAvailable.Contains("CDI"):
                Later(OperatorDelay, () =>
                {
                    _served[("cdi.kubevirt.io/v1beta1", "datavolumes")] = ("DataVolume", true);
                    SetStatus(path, Conditions("Available"));
                });
                break;
        }
    }

    private void Later(TimeSpan delay, Action action) => _ = Task.Delay(delay).ContinueWith(_ =>
    {
        lock (_gate)
        {
            action();
        }
    }, TaskScheduler.Default);

    private void SetStatus(string path, JsonObject status)
    {
        if (_objects.TryGetValue(path, out var found))
        {
            found["status"] = status;
        }
    }

    private JsonObject? Discovery(string path)
    {
        if (path == "/api/v1" || path.StartsWith("/apis/", StringComparison.Ordinal) && path.Count(c => c == '/') == 3)
        {
            var version = path == "/api/v1" ? "v1" : path["/apis/".Length..];
            var resources = _served.Where(s => s.Key.ApiVersion == version)
                .Select(s => (JsonNode)new JsonObject { ["name"] = s.Key.Plural, ["kind"] = s.Value.Kind, ["namespaced"] = s.Value.Namespaced }).ToArray();
            return resources.Length == 0 ? null : new JsonObject { ["kind"] = "APIResourceList", ["groupVersion"] = version, ["resources"] = new JsonArray(resources) };
        }
        if (path == "/apis")
        {
            var groups = _served.Keys.Select(k => k.ApiVersion).Where(v => v.Contains('/', StringComparison.Ordinal)).Distinct()
                .GroupBy(v => v.Split('/')[0])
                .Select(g => (JsonNode)new JsonObject
                {
                    ["name"] = g.Key,
                    ["versions"] = new JsonArray([.. g.Select(v => (JsonNode)new JsonObject { ["groupVersion"] = v, ["version"] = v.Split('/')[1] })]),
                }).ToArray();
            return new JsonObject { ["kind"] = "APIGroupList", ["groups"] = new JsonArray(groups) };
        }
        return null;
    }

    private static JsonObject Object(string apiVersion, string kind, string name, string? ns, JsonObject status) => new()
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = kind,
        ["metadata"] = ns is null ? new JsonObject { ["name"] = name } : new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["status"] = status,
    };

    private static JsonObject Conditions(string type) =>
        new() { ["conditions"] = new JsonArray(new JsonObject { ["type"] = type, ["status"] = "True" }) };

    private static JsonObject StatusObject(int code, string message) =>
        new() { ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Failure", ["message"] = message, ["code"] = code };

    /// <summary>Server-side apply merges maps; lists and scalars are replaced.</summary>
    private static void Merge(JsonObject target, JsonObject applied)
    {
        foreach (var (key, value) in applied.ToList())
        {
            if (value is JsonObject child && target[key] is JsonObject existing)
            {
                Merge(existing, child);
            }
            else
            {
                target[key] = value?.DeepClone();
            }
        }
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "false" } b => JsonValue.Create(b.Value == "true"),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "null" or "~" or "" } => null,
        YamlScalarNode { Style: ScalarStyle.Plain } n when long.TryParse(n.Value, out var number) => JsonValue.Create(number),
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => throw new InvalidOperationException($"unsupported YAML node {node.NodeType}"),
    };

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _dir.Dispose();
    }
}
