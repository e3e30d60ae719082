using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Kargo.Airgap.Install.Kubernetes;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// TEST-SIDE CONTROLLERS for a <see cref="RealApiServer"/>: they watch it (by polling) and act only
/// through its API, as the cluster's own controllers and the platform's operators do. Each does what
/// the named upstream file shows, and nothing earlier than the real one would:
/// - kube-controller-manager and kubelet (kubernetes pkg/controller/deployment/sync.go, daemon/daemon_controller.go
///   status; pkg/volume/secret/secret.go: a pod whose Secret volume does not exist never starts): a
///   Deployment, StatefulSet or DaemonSet reports itself rolled out once every Secret it mounts exists.
/// - virt-operator (kubevirt v1.9.0 pkg/virt-operator/resource/generate/install/strategy.go, components/crds.go,
///   kubevirt.go, util/client.go UpdateConditionsAvailable): only once its Deployment runs and a
///   KubeVirt CR exists, registers VirtualMachine &amp; co, then reports the CR Deployed and Available
///   with observedKubeVirtVersion.
/// - cdi-operator (CDI v1.66.0 pkg/operator/resources/cluster/factory.go; controller-lifecycle-operator-sdk
///   cr-status.go): once it runs and a CDI CR exists, registers DataVolume &amp; co, then Available.
/// - cluster-network-addons-operator (v0.102.0 pkg/network/multus.go, data/multus/001-multus.yaml;
///   pkg/names/names.go: only the config named "cluster"): once it runs and a NetworkAddonsConfig
///   "cluster" asks for multus, registers NetworkAttachmentDefinition, then Available.
/// - hostpath-provisioner-operator (v0.25.2 deploy/operator.yaml mounts the webhook certificate's
///   Secret; deploy/webhook.yaml; pkg/controller/hostpathprovisioner/cr.go): its pod — and so its
///   webhook with failurePolicy Fail — serves only once cert-manager has issued that Secret; then
///   each HostPathProvisioner becomes Available.
/// - cert-manager v1.21.1 (webhook --dynamic-serving-ca-secret-name=cert-manager-webhook-ca; pkg/controller/cainjector;
///   certificaterequests/sync.go: no issuance before the Issuer is Ready; certificates/issuing): its
///   webhook serves with a CA of its own once its pod runs, the cainjector puts CAs into webhook
///   configurations by their inject-ca-from(-secret) annotations, selfSigned Issuers become Ready,
///   and a Certificate's Secret is issued only once its Issuer is Ready.
/// </summary>
public sealed class StandInCluster : IAsyncDisposable
{
    private const string Manager = "stand-in-controllers";
    private readonly KubeApi _api;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Dictionary<string, StandInWebhook> _webhooks = [];
    private readonly Dictionary<string, DateTime> _firstSeen = [];

    /// <summary>What the controllers did, in order: "virt-operator registered virtualmachines.kubevirt.io".</summary>
    public ConcurrentQueue<string> Events { get; } = new();

    /// <summary>How long a workload takes from first seen to rolled out (a kubelet pulling and starting it).</summary>
    public TimeSpan StartDelay { get; init; } = TimeSpan.FromMilliseconds(300);

    private StandInCluster(string kubeconfig)
    {
        _api = KubeApi.FromKubeconfig(kubeconfig);
        _loop = Task.Run(LoopAsync);
    }

    public static StandInCluster Start(string kubeconfig) => new(kubeconfig);

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            foreach (var controller in new Func<Task>[] { WorkloadsAsync, CertManagerAsync, VirtOperatorAsync, CdiOperatorAsync, CnaoAsync, HppOperatorAsync })
            {
                try
                {
                    await controller();
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return; // stopped in the middle of a call
                }
                catch (Exception e)
                {
                    Events.Enqueue($"error: {e.Message}");
                }
            }
            try
            {
                await Task.Delay(200, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private CancellationToken Token => _stop.Token;

    private async Task<IEnumerable<JsonNode>> ListAsync(string path) =>
        ((await _api.GetAsync(path, Token))?["items"] as JsonArray ?? []).OfType<JsonNode>();

    private static string Name(JsonNode item) => item["metadata"]!["name"]!.ToString();

    private static string? Namespace(JsonNode item) => item["metadata"]?["namespace"]?.ToString();

    private Task ApplyAsync(string path, JsonObject body) => _api.ApplyAsync(path, body.ToJsonString(), Manager, Token);

    /// <summary>Writes status as the object's controller does (list items carry no apiVersion and kind: the path tells them).</summary>
    private async Task StatusAsync(string path, JsonNode item, JsonObject status)
    {
        var parts = path.Split('/');
        var apiVersion = parts[1] == "api" ? parts[2] : $"{parts[2]}/{parts[3]}";
        var body = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = KindOf(parts[^2]), ["metadata"] = Metadata(Name(item), Namespace(item)), ["status"] = status };
        try
        {
            await ApplyAsync(path + "/status", body);
        }
        catch (KubeApiException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
        {
            await ApplyAsync(path, body); // a CRD without a status subresource keeps status in the object
        }
    }

    private static string KindOf(string plural) => plural switch
    {
        "deployments" => "Deployment",
        "statefulsets" => "StatefulSet",
        "daemonsets" => "DaemonSet",
        "kubevirts" => "KubeVirt",
        "cdis" => "CDI",
        "networkaddonsconfigs" => "NetworkAddonsConfig",
        "hostpathprovisioners" => "HostPathProvisioner",
        "issuers" => "Issuer",
        "certificates" => "Certificate",
        _ => throw new InvalidOperationException($"no stand-in writes the status of {plural}"),
    };

    private static JsonObject Metadata(string name, string? ns) => ns is null ? new() { ["name"] = name } : new() { ["name"] = name, ["namespace"] = ns };

    private static JsonArray Conditions(params (string Type, string Status, string Reason)[] conditions) =>
        [.. conditions.Select(c => (JsonNode)new JsonObject { ["type"] = c.Type, ["status"] = c.Status, ["reason"] = c.Reason, ["message"] = c.Reason, ["lastTransitionTime"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ") })];

    private static bool IsTrue(JsonNode? item, string type) =>
        (item?["status"]?["conditions"] as JsonArray ?? []).Any(c => c?["type"]?.ToString() == type && c["status"]?.ToString() == "True");

    // ---- kube-controller-manager and kubelet

    private async Task WorkloadsAsync()
    {
        foreach (var plural in new[] { "deployments", "statefulsets", "daemonsets" })
        {
            foreach (var item in await ListAsync($"/apis/apps/v1/{plural}"))
            {
                var ns = Namespace(item)!;
                var key = $"{plural}/{ns}/{Name(item)}";
                var generation = item["metadata"]?["generation"]?.GetValue<long>() ?? 1;
                if (item["status"]?["observedGeneration"]?.GetValue<long>() == generation)
                {
                    continue;
                }
                if (!_firstSeen.TryGetValue(key, out var seen))
                {
                    _firstSeen[key] = seen = DateTime.UtcNow;
                }
                if (DateTime.UtcNow - seen < StartDelay || !await SecretsExistAsync(item, ns))
                {
                    continue;
                }
                var replicas = item["spec"]?["replicas"]?.GetValue<long>() ?? 1;
                var status = plural == "daemonsets"
                    ? new JsonObject { ["observedGeneration"] = generation, ["desiredNumberScheduled"] = 1, ["currentNumberScheduled"] = 1, ["updatedNumberScheduled"] = 1, ["numberReady"] = 1, ["numberAvailable"] = 1, ["numberMisscheduled"] = 0 }
                    : new JsonObject { ["observedGeneration"] = generation, ["replicas"] = replicas, ["updatedReplicas"] = replicas, ["readyReplicas"] = replicas, ["availableReplicas"] = replicas };
                if (plural == "deployments")
                {
                    status["conditions"] = Conditions(("Available", "True", "MinimumReplicasAvailable"), ("Progressing", "True", "NewReplicaSetAvailable"));
                }
                await StatusAsync($"/apis/apps/v1/namespaces/{ns}/{plural}/{Name(item)}", item, status);
                Events.Enqueue($"kubelet started {plural} {ns}/{Name(item)}");
            }
        }
    }

    /// <summary>Every Secret a pod of this workload mounts (not marked optional) exists: else the kubelet cannot start it.</summary>
    private async Task<bool> SecretsExistAsync(JsonNode workload, string ns)
    {
        foreach (var volume in workload["spec"]?["template"]?["spec"]?["volumes"] as JsonArray ?? [])
        {
            if (volume?["secret"] is { } secret && secret["optional"]?.GetValue<bool>() != true
                && await _api.GetAsync($"/api/v1/namespaces/{ns}/secrets/{secret["secretName"]}", Token) is null)
            {
                return false;
            }
        }
        return true;
    }

    private async Task<JsonNode?> RunningAsync(string name)
    {
        var deployment = (await ListAsync("/apis/apps/v1/deployments")).FirstOrDefault(d => Name(d) == name);
        return deployment is not null && IsTrue(deployment, "Available") ? deployment : null;
    }

    // ---- operators that register kinds

    private async Task RegisterAsync(string who, string group, string version, string kind, string plural, bool namespaced)
    {
        var name = $"{plural}.{group}";
        if (await _api.GetAsync($"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}", Token) is not null)
        {
            return;
        }
        await ApplyAsync($"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}", new JsonObject
        {
            ["apiVersion"] = "apiextensions.k8s.io/v1",
            ["kind"] = "CustomResourceDefinition",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["group"] = group,
                ["names"] = new JsonObject { ["kind"] = kind, ["plural"] = plural, ["singular"] = kind.ToLowerInvariant(), ["listKind"] = kind + "List" },
                ["scope"] = namespaced ? "Namespaced" : "Cluster",
                ["versions"] = new JsonArray(new JsonObject
                {
                    ["name"] = version,
                    ["served"] = true,
                    ["storage"] = true,
                    ["subresources"] = new JsonObject { ["status"] = new JsonObject() },
                    ["schema"] = new JsonObject { ["openAPIV3Schema"] = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true } },
                }),
            },
        });
        Events.Enqueue($"{who} registered {name}");
    }

    private async Task MarkAvailableAsync(string who, string path, JsonNode item, JsonObject? extra = null)
    {
        if (IsTrue(item, "Available"))
        {
            return;
        }
        var status = extra ?? [];
        status["conditions"] = Conditions(("Available", "True", "AllComponentsReady"), ("Progressing", "False", "AllComponentsReady"), ("Degraded", "False", "AllComponentsReady"));
        await StatusAsync(path, item, status);
        Events.Enqueue($"{who} reports {KindOf(path.Split('/')[^2])} {Name(item)} Available");
    }

    private async Task VirtOperatorAsync()
    {
        if (await RunningAsync("virt-operator") is not { } operatorDeployment)
        {
            return;
        }
        foreach (var kubevirt in await ListAsync("/apis/kubevirt.io/v1/kubevirts"))
        {
            foreach (var (kind, plural) in new[] { ("VirtualMachine", "virtualmachines"), ("VirtualMachineInstance", "virtualmachineinstances"), ("VirtualMachineInstanceMigration", "virtualmachineinstancemigrations"), ("VirtualMachineInstanceReplicaSet", "virtualmachineinstancereplicasets"), ("VirtualMachineInstancePreset", "virtualmachineinstancepresets") })
            {
                await RegisterAsync("virt-operator", "kubevirt.io", "v1", kind, plural, true);
            }
            await RegisterAsync("virt-operator", "snapshot.kubevirt.io", "v1beta1", "VirtualMachineSnapshot", "virtualmachinesnapshots", true);
            var version = (operatorDeployment["spec"]?["template"]?["spec"]?["containers"] as JsonArray ?? []).SelectMany(c => c?["env"] as JsonArray ?? [])
                .FirstOrDefault(e => e?["name"]?.ToString() == "KUBEVIRT_VERSION")?["value"]?.ToString() ?? "unknown";
            await MarkAvailableAsync("virt-operator", $"/apis/kubevirt.io/v1/namespaces/{Namespace(kubevirt)}/kubevirts/{Name(kubevirt)}", kubevirt,
                new JsonObject { ["phase"] = "Deployed", ["observedKubeVirtVersion"] = version, ["targetKubeVirtVersion"] = version });
        }
    }

    private async Task CdiOperatorAsync()
    {
        if (await RunningAsync("cdi-operator") is null)
        {
            return;
        }
        foreach (var cdi in await ListAsync("/apis/cdi.kubevirt.io/v1beta1/cdis"))
        {
            foreach (var (kind, plural, namespaced) in new[] { ("DataVolume", "datavolumes", true), ("DataSource", "datasources", true), ("DataImportCron", "dataimportcrons", true), ("StorageProfile", "storageprofiles", false), ("CDIConfig", "cdiconfigs", false) })
            {
                await RegisterAsync("cdi-operator", "cdi.kubevirt.io", "v1beta1", kind, plural, namespaced);
            }
            await MarkAvailableAsync("cdi-operator", $"/apis/cdi.kubevirt.io/v1beta1/cdis/{Name(cdi)}", cdi, new JsonObject { ["phase"] = "Deployed" });
        }
    }

    private async Task CnaoAsync()
    {
        if (await RunningAsync("cluster-network-addons-operator") is null)
        {
            return;
        }
        foreach (var config in (await ListAsync("/apis/networkaddonsoperator.network.kubevirt.io/v1/networkaddonsconfigs")).Where(c => Name(c) == "cluster"))
        {
            if (config["spec"]?["multus"] is not null)
            {
                await RegisterAsync("cluster-network-addons-operator", "k8s.cni.cncf.io", "v1", "NetworkAttachmentDefinition", "network-attachment-definitions", true);
            }
            await MarkAvailableAsync("cluster-network-addons-operator", $"/apis/networkaddonsoperator.network.kubevirt.io/v1/networkaddonsconfigs/{Name(config)}", config);
        }
    }

    private async Task HppOperatorAsync()
    {
        if (await RunningAsync("hostpath-provisioner-operator") is not { } deployment)
        {
            return;
        }
        // Its pod started, so the certificate Secret it mounts exists: its webhook server now answers with it.
        var ns = Namespace(deployment)!;
        var secretName = (deployment["spec"]?["template"]?["spec"]?["volumes"] as JsonArray ?? []).Select(v => v?["secret"]?["secretName"]?.ToString()).OfType<string>().FirstOrDefault();
        if (secretName is not null && await _api.GetAsync($"/api/v1/namespaces/{ns}/secrets/{secretName}", Token) is { } secret)
        {
            foreach (var service in (await ListAsync($"/api/v1/namespaces/{ns}/services")).Where(s => Name(s).Contains("webhook", StringComparison.Ordinal)))
            {
                await ServeAsync("hostpath-provisioner-operator", service, Decode(secret, "tls.crt"), Decode(secret, "tls.key"));
            }
        }
        foreach (var hpp in await ListAsync("/apis/hostpathprovisioner.kubevirt.io/v1beta1/hostpathprovisioners"))
        {
            await MarkAvailableAsync("hostpath-provisioner-operator", $"/apis/hostpathprovisioner.kubevirt.io/v1beta1/hostpathprovisioners/{Name(hpp)}", hpp);
        }
    }

    // ---- cert-manager

    private System.Security.Cryptography.X509Certificates.X509Certificate2? _certManagerCa;

    private async Task CertManagerAsync()
    {
        if (await RunningAsync("cert-manager-webhook") is { } webhook && _certManagerCa is null)
        {
            var ns = Namespace(webhook)!;
            var (caPem, caKey) = StandInWebhook.Issue(["cert-manager-webhook-ca"]);
            _certManagerCa = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(caPem, caKey);
            var (cert, key) = StandInWebhook.Issue([$"cert-manager-webhook.{ns}.svc"], _certManagerCa);
            await PutSecretAsync(ns, "cert-manager-webhook-ca", new() { ["ca.crt"] = caPem, ["tls.crt"] = caPem, ["tls.key"] = caKey });
            if (await _api.GetAsync($"/api/v1/namespaces/{ns}/services/cert-manager-webhook", Token) is { } service)
            {
                await ServeAsync("cert-manager-webhook", service, cert, key);
            }
        }
        if (await RunningAsync("cert-manager-cainjector") is not null)
        {
            await InjectCaAsync();
        }
        if (await RunningAsync("cert-manager") is null || _certManagerCa is null)
        {
            return;
        }
        foreach (var issuer in await ListAsync("/apis/cert-manager.io/v1/issuers"))
        {
            if (issuer["spec"]?["selfSigned"] is not null && !IsTrue(issuer, "Ready"))
            {
                await StatusAsync($"/apis/cert-manager.io/v1/namespaces/{Namespace(issuer)}/issuers/{Name(issuer)}", issuer, new JsonObject { ["conditions"] = Conditions(("Ready", "True", "IsReady")) });
                Events.Enqueue($"cert-manager: Issuer {Namespace(issuer)}/{Name(issuer)} Ready");
            }
        }
        var issuers = (await ListAsync("/apis/cert-manager.io/v1/issuers")).ToList();
        foreach (var certificate in await ListAsync("/apis/cert-manager.io/v1/certificates"))
        {
            var ns = Namespace(certificate)!;
            if (IsTrue(certificate, "Ready") || !issuers.Any(i => Namespace(i) == ns && Name(i) == certificate["spec"]?["issuerRef"]?["name"]?.ToString() && IsTrue(i, "Ready")))
            {
                continue; // certificaterequests/sync.go: "Referenced issuer does not have a Ready status condition"
            }
            var names = (certificate["spec"]?["dnsNames"] as JsonArray ?? []).Select(n => n!.ToString()).ToList();
            var (cert, key) = StandInWebhook.Issue(names);
            await PutSecretAsync(ns, certificate["spec"]!["secretName"]!.ToString(), new() { ["ca.crt"] = cert, ["tls.crt"] = cert, ["tls.key"] = key });
            await StatusAsync($"/apis/cert-manager.io/v1/namespaces/{ns}/certificates/{Name(certificate)}", certificate, new JsonObject { ["conditions"] = Conditions(("Ready", "True", "Ready")) });
            Events.Enqueue($"cert-manager issued Certificate {ns}/{Name(certificate)}");
        }
    }

    /// <summary>The cainjector: each webhook configuration's caBundle from the Secret its annotation names (directly, or through a Certificate).</summary>
    private async Task InjectCaAsync()
    {
        foreach (var kind in new[] { "validatingwebhookconfigurations", "mutatingwebhookconfigurations" })
        {
            foreach (var configuration in await ListAsync($"/apis/admissionregistration.k8s.io/v1/{kind}"))
            {
                var annotations = configuration["metadata"]?["annotations"];
                var from = annotations?["cert-manager.io/inject-ca-from-secret"]?.ToString();
                if (annotations?["cert-manager.io/inject-ca-from"]?.ToString() is { } certificate && certificate.Split('/') is [var cns, var cname])
                {
                    var secretName = (await _api.GetAsync($"/apis/cert-manager.io/v1/namespaces/{cns}/certificates/{cname}", Token))?["spec"]?["secretName"]?.ToString();
                    from = secretName is null ? null : $"{cns}/{secretName}";
                }
                if (from?.Split('/') is not [var ns, var name] || await _api.GetAsync($"/api/v1/namespaces/{ns}/secrets/{name}", Token) is not { } secret)
                {
                    continue;
                }
                var ca = secret["data"]?["ca.crt"]?.ToString();
                var webhooks = (configuration["webhooks"] as JsonArray ?? []).OfType<JsonNode>().ToList();
                if (ca is null || webhooks.All(w => w["clientConfig"]?["caBundle"]?.ToString() == ca))
                {
                    continue;
                }
                await ApplyAsync($"/apis/admissionregistration.k8s.io/v1/{kind}/{Name(configuration)}", new JsonObject
                {
                    ["apiVersion"] = "admissionregistration.k8s.io/v1",
                    ["kind"] = kind == "validatingwebhookconfigurations" ? "ValidatingWebhookConfiguration" : "MutatingWebhookConfiguration",
                    ["metadata"] = new JsonObject { ["name"] = Name(configuration) },
                    ["webhooks"] = new JsonArray([.. webhooks.Select(w => (JsonNode)new JsonObject
                    {
                        ["name"] = w["name"]!.ToString(),
                        ["clientConfig"] = new JsonObject { ["caBundle"] = ca },
                        ["sideEffects"] = w["sideEffects"]?.ToString() ?? "None",
                        ["admissionReviewVersions"] = w["admissionReviewVersions"]!.DeepClone(),
                    })]),
                });
                Events.Enqueue($"cainjector injected {ns}/{name} into {Name(configuration)}");
            }
        }
    }

    private async Task PutSecretAsync(string ns, string name, Dictionary<string, string> data) =>
        await ApplyAsync($"/api/v1/namespaces/{ns}/secrets/{name}", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = Metadata(name, ns),
            ["type"] = "kubernetes.io/tls",
            ["data"] = new JsonObject(data.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)Convert.ToBase64String(Encoding.UTF8.GetBytes(d.Value))))),
        });

    private static string Decode(JsonNode secret, string key) => Encoding.UTF8.GetString(Convert.FromBase64String(secret["data"]![key]!.ToString()));

    /// <summary>The pod behind a Service answers: a webhook server with this certificate, and Endpoints pointing at it.</summary>
    private async Task ServeAsync(string who, JsonNode service, string certificate, string key)
    {
        var ns = Namespace(service)!;
        var id = $"{ns}/{Name(service)}";
        if (_webhooks.ContainsKey(id))
        {
            return;
        }
        var webhook = _webhooks[id] = await StandInWebhook.StartAsync(certificate, key);
        var ports = (service["spec"]?["ports"] as JsonArray ?? []).Select(p =>
        {
            var port = new JsonObject { ["port"] = webhook.Port, ["protocol"] = "TCP" };
            if (p?["name"]?.ToString() is { Length: > 0 } name)
            {
                port["name"] = name;
            }
            return (JsonNode)port;
        });
        await ApplyAsync($"/api/v1/namespaces/{ns}/endpoints/{Name(service)}", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Endpoints",
            ["metadata"] = Metadata(Name(service), ns),
            ["subsets"] = new JsonArray(new JsonObject { ["addresses"] = new JsonArray(new JsonObject { ["ip"] = webhook.Address.ToString() }), ["ports"] = new JsonArray([.. ports]) }),
        });
        Events.Enqueue($"{who} serves its webhook behind Service {id}");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        foreach (var webhook in _webhooks.Values)
        {
            await webhook.DisposeAsync();
        }
        _api.Dispose();
        _certManagerCa?.Dispose();
        _stop.Dispose();
    }
}
