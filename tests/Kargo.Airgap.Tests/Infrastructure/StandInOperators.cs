using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// STAND-INS for the operators of the platform, part of <see cref="KubernetesApiDouble"/>: when a
/// custom resource is applied they "start" the pods the real operator would, naming each image the
/// way that operator does, read from upstream at the release the fixtures follow. Written apart
/// from the library's discovery on purpose, so a mistake there cannot hide here.
/// - virt-operator v1.3.0 (pkg/virt-operator/util/config.go): its own image from VIRT_OPERATOR_IMAGE,
///   split by ^(.*)/(.*)virt-operator([@:].*)?$; virt-api, virt-controller, virt-handler and
///   virt-launcher as REGISTRY/PREFIX+NAME:TAG; virt-exportproxy with the VMExport gate; the CR's
///   imageRegistry and imageTag win.
/// - cdi-operator v1.59.0: cdi-deployment, cdi-apiserver and cdi-uploadproxy from CONTROLLER_IMAGE,
///   APISERVER_IMAGE and UPLOAD_PROXY_IMAGE; an importer pod (IMPORTER_IMAGE, and the disk image
///   itself with pullMethod: node) for each DataVolume a VirtualMachine's template asks for.
/// - CNAO v0.93.0 (pkg/network/*.go): per NetworkAddonsConfig component, the images of its
///   daemon sets from the operator's *_IMAGE variables.
/// - HPP v0.17.0 (pkg/controller/hostpathprovisioner/daemonset.go): with storagePools, the CSI
///   daemon set's four images.
/// </summary>
internal static partial class StandInOperators
{
    private static readonly Dictionary<string, string[]> CnaoComponents = new(StringComparer.Ordinal)
    {
        ["multus"] = ["MULTUS_IMAGE"],
        ["linuxBridge"] = ["LINUX_BRIDGE_IMAGE", "LINUX_BRIDGE_MARKER_IMAGE"],
        ["kubeMacPool"] = ["KUBEMACPOOL_IMAGE", "KUBE_RBAC_PROXY_IMAGE"],
        ["ovs"] = ["OVS_CNI_IMAGE"],
        ["macvtap"] = ["MACVTAP_CNI_IMAGE"],
        ["multusDynamicNetworks"] = ["MULTUS_DYNAMIC_NETWORKS_CONTROLLER_IMAGE"],
        ["kubeSecondaryDNS"] = ["KUBE_SECONDARY_DNS_IMAGE", "CORE_DNS_IMAGE"],
    };

    /// <summary>The images started for an applied object: (pod, image) pairs.</summary>
    /// <param name="kind">The applied object's kind.</param>
    /// <param name="applied">The object as it stands after the apply.</param>
    /// <param name="objects">Every object the double holds, to find the operators' Deployments.</param>
    public static IEnumerable<(string Pod, string Image)> Start(string kind, JsonObject applied, IEnumerable<JsonObject> objects)
    {
        var deployments = objects.Where(o => o["kind"]?.GetValue<string>() is "Deployment").ToList();
        return kind switch
        {
            "Deployment" or "DaemonSet" or "StatefulSet" => Containers(applied["spec"]?["template"]?["spec"]).Select(c => ($"{Name(applied)}-pod", c)),
            "KubeVirt" => KubeVirt(applied, deployments),
            "CDI" => OperatorEnv(deployments, "CONTROLLER_IMAGE") is { } cdi
                ? new[] { ("cdi-deployment", "CONTROLLER_IMAGE"), ("cdi-apiserver", "APISERVER_IMAGE"), ("cdi-uploadproxy", "UPLOAD_PROXY_IMAGE") }.Select(p => (p.Item1, cdi[p.Item2]))
                : [],
            "VirtualMachine" => Imports(applied, deployments),
            "NetworkAddonsConfig" => OperatorEnv(deployments, "MULTUS_IMAGE") is { } cnao
                ? (applied["spec"] as JsonObject ?? []).Select(p => p.Key).Where(CnaoComponents.ContainsKey).SelectMany(c => CnaoComponents[c].Select(v => (c, cnao[v])))
                : [],
            "HostPathProvisioner" when applied["spec"]?["storagePools"] is not null => OperatorEnv(deployments, "CSI_PROVISIONER_IMAGE") is { } hpp
                ? new[] { "CSI_PROVISIONER_IMAGE", "NODE_DRIVER_REG_IMAGE", "LIVENESS_PROBE_IMAGE", "CSI_SIG_STORAGE_PROVISIONER_IMAGE" }.Select(v => ("hostpath-provisioner-csi", hpp[v]))
                : [],
            _ => [],
        };
    }

    private static IEnumerable<(string, string)> KubeVirt(JsonObject cr, List<JsonObject> deployments)
    {
        if (OperatorEnv(deployments, "VIRT_OPERATOR_IMAGE") is not { } env || OperatorImage().Match(env["VIRT_OPERATOR_IMAGE"]) is not { Success: true } match)
        {
            yield break;
        }
        var registry = cr["spec"]?["imageRegistry"]?.GetValue<string>() ?? match.Groups[1].Value;
        var version = match.Groups[3].Value;
        var tag = cr["spec"]?["imageTag"]?.GetValue<string>() ?? (version.StartsWith(':') ? version[1..] : env.GetValueOrDefault("KUBEVIRT_VERSION", "latest"));
        var gates = cr["spec"]?["configuration"]?["developerConfiguration"]?["featureGates"]?.AsArray().Select(g => g!.GetValue<string>()).ToHashSet() ?? [];
        List<string> names = ["virt-api", "virt-controller", "virt-handler", "virt-launcher"];
        if (gates.Contains("VMExport"))
        {
            names.Add("virt-exportproxy");
        }
        foreach (var name in names)
        {
            yield return (name, $"{registry}/{match.Groups[2].Value}{name}:{tag}");
        }
    }

    private static IEnumerable<(string, string)> Imports(JsonObject vm, List<JsonObject> deployments)
    {
        var importer = OperatorEnv(deployments, "IMPORTER_IMAGE")?["IMPORTER_IMAGE"];
        foreach (var template in vm["spec"]?["dataVolumeTemplates"]?.AsArray() ?? [])
        {
            if (template?["spec"]?["source"]?["registry"]?["url"]?.GetValue<string>() is { } url && importer is not null)
            {
                yield return ($"importer-{Name(template.AsObject())}", importer);
                yield return ($"importer-{Name(template.AsObject())}", url["docker://".Length..]);
            }
        }
    }

    /// <summary>The literal environment of the first container, in any Deployment, that has this variable.</summary>
    private static Dictionary<string, string>? OperatorEnv(List<JsonObject> deployments, string variable)
    {
        foreach (var container in deployments.SelectMany(d => d["spec"]?["template"]?["spec"]?["containers"]?.AsArray() ?? []))
        {
            var env = (container?["env"]?.AsArray() ?? [])
                .Where(e => e?["name"] is not null && e["value"] is not null)
                .GroupBy(e => e!["name"]!.GetValue<string>())
                .ToDictionary(g => g.Key, g => g.First()!["value"]!.GetValue<string>());
            if (env.ContainsKey(variable))
            {
                return env;
            }
        }
        return null;
    }

    private static IEnumerable<string> Containers(JsonNode? podSpec) =>
        new[] { "initContainers", "containers" }.SelectMany(list => podSpec?[list]?.AsArray() ?? []).Select(c => c?["image"]?.GetValue<string>()).OfType<string>();

    private static string Name(JsonObject item) => item["metadata"]?["name"]?.GetValue<string>() ?? "?";

    [GeneratedRegex("^(.*)/(.*)virt-operator([@:].*)?$")]
    private static partial Regex OperatorImage();
}
