using Kargo.Airgap.Bundle;
using Kargo.Airgap.Install.Kubernetes;
using Kargo.Airgap.Sources.Releases;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Install.Steps;

/// <summary>
/// The bundled manifests onto the cluster — KubeVirt, CDI and every manifest of spec.manifests —
/// converging as a real cluster lets them in (<see cref="ConvergingApplier"/>), kargo's settings
/// merged into KubeVirt and CDI (<see cref="PlatformSettings"/>), then every component waited for
/// by its own signal within one budget (<see cref="ComponentReadiness"/>). Under --root without
/// --kubeconfig there is no cluster: the plan and settings are written only.
/// </summary>
public sealed class PlatformStep(InstallOptions options) : IInstallStep
{
    public const string SettingsFile = HostRoot.StateFolder + "/platform-settings.yaml";

    public string Name => "platform";

    public string Inputs => $"kubeconfig {options.Kubeconfig ?? "of the node"}, registry {TrustedRegistry()}";

    /// <summary>--kubeconfig, else the one the bundle's distribution leaves on a node; none under --root.</summary>
    public static string? Kubeconfig(InstallOptions options, InstallContext context)
    {
        if (options.Kubeconfig is not null || context.Root.IsRecording)
        {
            return options.Kubeconfig;
        }
        return ClusterDistributions.Of(context.Inventory).Kubeconfig()
            ?? throw new KargoException("the bundle carries no cluster (spec.cluster): give --kubeconfig of the cluster to install KubeVirt and CDI into");
    }

    public IEnumerable<string> Plan(InstallContext context)
    {
        var target = Kubeconfig(options, context) is { } kubeconfig ? $"the cluster of {kubeconfig}" : "no cluster (--root without --kubeconfig: written only)";
        if (!Directory.Exists(Path.Combine(context.Content, BundleLayout.ManifestsFolder)))
        {
            // Not unpacked yet: the inventory names the manifests; their objects are known after the unpack.
            var manifests = context.Inventory.Entries.Concat(context.Inventory.Base?.Entries ?? []).Select(e => e.Path).Where(p => BundleLayout.IsIn(p, BundleLayout.ManifestsFolder)).ToList();
            if (manifests.Count == 0)
            {
                return ["the bundle carries no manifests: nothing to apply"];
            }
            return Kubeconfig(options, context) is null
                ? [$"write {SettingsFile}: KubeVirt feature gates, CDI's trust of the registry", $"not applied (--root, no --kubeconfig): {string.Join(", ", manifests)}"]
                : [$"apply to {target}: {string.Join(", ", manifests)}", "converge: apply what the cluster serves and accepts, re-discover, repeat until all is applied",
                    $"write {SettingsFile}: KubeVirt feature gates, CDI's trust of the registry", "wait until every component is ready by its own signal"];
        }
        var objects = Objects(context);
        var plan = ApplyPlan.For(objects);
        var settings = $"write {SettingsFile}: {string.Join("; ", Settings(context).Summary(objects))}";
        if (Kubeconfig(options, context) is null)
        {
            return [settings, .. plan.Describe().Select(line => $"not applied (--root, no --kubeconfig): {line}")];
        }
        return [$"apply to {target}", .. plan.Describe(), settings,
            $"wait within one --timeout until ready: {string.Join(", ", ComponentReadiness.SignalsOf(objects).Select(s => $"{s.Object} {s.Signal}"))}"];
    }

    public async Task RunAsync(InstallContext context, CancellationToken cancellationToken)
    {
        var objects = Objects(context);
        if (objects.Count == 0)
        {
            context.Did("the bundle carries no manifests: nothing to apply");
            return;
        }
        var plan = ApplyPlan.For(objects);
        var settings = Settings(context);
        context.Write(SettingsFile, "# Written by kargo-offline install: merged into what each resource holds and applied with it (field manager kargo).\n" + YamlText.Write(settings.Documents(objects)), HostRoot.Readable);
        if (Kubeconfig(options, context) is not { } kubeconfig)
        {
            foreach (var line in plan.Describe())
            {
                context.Did($"not applied (--root, no --kubeconfig): {line}");
            }
            return;
        }
        using var api = KubeApi.FromKubeconfig(kubeconfig);
        var applier = new ConvergingApplier(api, context.Log, options.Timeout);
        foreach (var line in await applier.ApplyAsync(objects, settings.For(objects), cancellationToken))
        {
            context.Details.Add(line);
        }
        var signals = ComponentReadiness.SignalsOf(objects);
        await new ComponentReadiness(api, context.Log, options.Timeout).WaitAsync(signals, cancellationToken);
        context.Did(Terminal.Printable($"ready: {string.Join(", ", signals.Where(s => s.Object is { IsCrd: false, Group: not "apps" }).Select(s => s.Object.ToString()))} and {signals.Count(s => s.Object.Group == "apps")} workload(s)"));
    }

    private static IReadOnlyList<ManifestObject> Objects(InstallContext context)
    {
        var folder = Path.Combine(context.Content, BundleLayout.ManifestsFolder);
        if (!Directory.Exists(folder))
        {
            return [];
        }
        // In the inventory's order, which is the spec's: the order saves rounds, the applier does not depend on it.
        var order = context.Inventory.Entries.Concat(context.Inventory.Base?.Entries ?? []).Select(e => e.Path).ToList();
        var files = Directory.GetFiles(folder, "*.yaml").Concat(Directory.GetFiles(folder, "*.yml"))
            .OrderBy(f => order.IndexOf(BundleLayout.Manifest(Path.GetFileName(f))) is var i && i >= 0 ? i : order.Count)
            .ThenBy(f => f, StringComparer.Ordinal);
        var namespaces = ManifestNamespaces(context.Inventory);
        return [.. files.SelectMany(f => ManifestObject.Read(f, namespaces.GetValueOrDefault(BundleLayout.Manifest(Path.GetFileName(f)))))];
    }

    /// <summary>The inventory's spec.manifests namespaces, each checked as a namespace name (signed is not the same as safe).</summary>
    private static IReadOnlyDictionary<string, string> ManifestNamespaces(Bundle.Inventory inventory)
    {
        foreach (var (entry, ns) in inventory.ManifestNamespaces ?? new Dictionary<string, string>())
        {
            if (!BundleLayout.IsIn(entry, BundleLayout.ManifestsFolder) || !Spec.Names.Namespace().IsMatch(ns))
            {
                throw new KargoException($"the bundle's inventory gives manifest '{Terminal.Printable(entry)}' the namespace '{Terminal.Printable(ns)}', which is not a manifest and a namespace name: the bundle is damaged or was not written by kargo-bundle");
            }
        }
        return inventory.ManifestNamespaces ?? new Dictionary<string, string>();
    }

    /// <summary>The node's /dev/kvm: under --root, DIR/dev/kvm, never the machine the install runs on.</summary>
    private static bool HasKvm(InstallContext context) => File.Exists(context.Root.Map(KvmDevice));

    public const string KvmDevice = Node.HypervisorChecks.KvmDevice;

    private PlatformSettings Settings(InstallContext context)
    {
        var insecure = options.PushRegistry is null || options.PushOptions.InsecureRegistries.Contains(options.PushRegistry);
        return new PlatformSettings(new NodeSettings([.. context.Inventory.Component(ComponentNames.KubeVirt)?.FeatureGates ?? []], !HasKvm(context), insecure ? TrustedRegistry() : null));
    }

    /// <summary>The registry as pods reach it: CDI imports from it over plain HTTP unless it is a TLS registry given by --registry.</summary>
    private string TrustedRegistry() => options.PushRegistry ?? InstallContext.Reachable(options.RegistryAddress);
}
