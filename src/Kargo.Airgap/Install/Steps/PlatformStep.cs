using Kargo.Airgap.Bundle;
using Kargo.Airgap.Install.Kubernetes;
using Kargo.Airgap.Spec;
using static Kargo.Airgap.Spec.YamlText;

namespace Kargo.Airgap.Install.Steps;

/// <summary>
/// KubeVirt and CDI (and any other bundled manifest) onto the cluster, in dependency order, then
/// waits until KubeVirt and CDI report Available. KubeVirt gets the bundle's feature gates (and
/// software emulation on a node without /dev/kvm); CDI is told to trust the local registry.
/// Under --root without --kubeconfig there is no cluster: the plan and settings are written only.
/// </summary>
public sealed class PlatformStep(InstallOptions options) : IInstallStep
{
    public const string SettingsFile = HostRoot.StateFolder + "/platform-settings.yaml";

    public string Name => "platform";

    public string Inputs => $"kubeconfig {options.Kubeconfig ?? "of the node"}, registry {TrustedRegistry()}";

    /// <summary>The manifests KubeVirt and CDI ship, in the order they depend on each other; others follow by name.</summary>
    private static readonly string[] PlatformManifests = ["kubevirt-operator.yaml", "kubevirt-cr.yaml", "cdi-operator.yaml", "cdi-cr.yaml"];

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
                : [$"apply to {target}: {string.Join(", ", manifests)}", "CRDs first, waiting until each is Established; then namespaces, operators and their custom resources",
                    $"write {SettingsFile}: KubeVirt feature gates, CDI's trust of the registry", "wait until KubeVirt and CDI are Available"];
        }
        var plan = ApplyPlan.For(Objects(context));
        var settings = $"write {SettingsFile}: {string.Join("; ", SettingsSummary(context, plan))}";
        if (Kubeconfig(options, context) is null)
        {
            return [settings, .. plan.Describe().Select(line => $"not applied (--root, no --kubeconfig): {line}")];
        }
        return [$"apply to {target}", .. plan.Describe(), settings, "wait until KubeVirt and CDI are Available"];
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
        context.Write(SettingsFile, SettingsYaml(context, plan), HostRoot.Readable);
        var settings = ManifestObject.Read(context.Root.Map(SettingsFile));
        if (Kubeconfig(options, context) is not { } kubeconfig)
        {
            foreach (var line in plan.Describe())
            {
                context.Did($"not applied (--root, no --kubeconfig): {line}");
            }
            return;
        }
        using var api = KubeApi.FromKubeconfig(kubeconfig);
        var applier = new PlatformApplier(api, context.Log, options.Timeout);
        foreach (var line in await applier.ApplyAsync(plan, settings, cancellationToken))
        {
            context.Details.Add(line);
        }
        await applier.WaitForPlatformAsync(plan, cancellationToken);
        context.Did("KubeVirt and CDI are Available");
    }

    private static IReadOnlyList<ManifestObject> Objects(InstallContext context)
    {
        var folder = Path.Combine(context.Content, BundleLayout.ManifestsFolder);
        if (!Directory.Exists(folder))
        {
            return [];
        }
        var files = Directory.GetFiles(folder, "*.yaml").Concat(Directory.GetFiles(folder, "*.yml"))
            .OrderBy(f => Array.IndexOf(PlatformManifests, Path.GetFileName(f)) is var i && i >= 0 ? i : PlatformManifests.Length)
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

    private IEnumerable<string> SettingsSummary(InstallContext context, ApplyPlan plan)
    {
        var gates = FeatureGates(context);
        foreach (var kubevirt in plan.CustomResources.Where(r => r.Kind == "KubeVirt"))
        {
            yield return $"{kubevirt}: feature gates [{string.Join(", ", gates)}]{(HasKvm(context) ? "" : ", software emulation (no /dev/kvm)")}";
        }
        foreach (var cdi in plan.CustomResources.Where(r => r.Kind == "CDI"))
        {
            yield return $"{cdi}: trusts the registry {TrustedRegistry()}";
        }
    }

    private static List<string> FeatureGates(InstallContext context) =>
        [.. context.Inventory.Component(ComponentNames.KubeVirt)?.FeatureGates ?? []];

    /// <summary>The registry as pods reach it: CDI imports from it over plain HTTP unless it is a TLS registry given by --registry.</summary>
    private string TrustedRegistry() => options.PushRegistry ?? InstallContext.Reachable(options.RegistryAddress);

    /// <summary>The settings, applied under their own field manager so re-applying the upstream CRs keeps them.</summary>
    private string SettingsYaml(InstallContext context, ApplyPlan plan)
    {
        var documents = new List<object>();
        foreach (var kubevirt in plan.CustomResources.Where(r => r.Kind == "KubeVirt"))
        {
            var metadata = Map(("name", kubevirt.Name));
            if (kubevirt.Namespace is { } ns)
            {
                metadata["namespace"] = ns;
            }
            var developer = Map(("featureGates", FeatureGates(context)));
            if (!HasKvm(context))
            {
                developer["useEmulation"] = true;
            }
            documents.Add(Map(
                ("apiVersion", kubevirt.ApiVersion),
                ("kind", "KubeVirt"),
                ("metadata", metadata),
                ("spec", Map(("configuration", Map(("developerConfiguration", developer)))))));
        }
        var insecure = options.PushRegistry is null || options.PushOptions.InsecureRegistries.Contains(options.PushRegistry);
        foreach (var cdi in plan.CustomResources.Where(r => r.Kind == "CDI"))
        {
            documents.Add(Map(
                ("apiVersion", cdi.ApiVersion),
                ("kind", "CDI"),
                ("metadata", Map(("name", cdi.Name))),
                ("spec", Map(("config", Map(("insecureRegistries", insecure ? new[] { TrustedRegistry() } : [])))))));
        }
        return $"# Written by kargo-offline install: applied with field manager {PlatformApplier.SettingsManager}.\n" + YamlText.Write(documents);
    }
}
