using Kargo.Airgap.Bundle;
using Kargo.Airgap.Install.Kubernetes;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Sources;
using Kargo.Airgap.Spec;
using static Kargo.Airgap.Spec.YamlText;

namespace Kargo.Airgap.Install.Steps;

/// <summary>
/// For each bundled VM disk an example VirtualMachine, left stopped: its disk a DataVolume that
/// CDI imports from the bundle's containerDisk through the node's mirror (pullMethod: node), or
/// the containerDisk itself when the bundle does not say how large the disk is. virtctl goes to
/// /usr/local/bin when bundled.
/// </summary>
public sealed class VmStep(InstallOptions options) : IInstallStep
{
    public string Inputs => $"kubeconfig {options.Kubeconfig ?? "of the node"}";

    public const string VmsFile = HostRoot.StateFolder + "/vms.yaml";
    public const string Virtctl = "/usr/local/bin/virtctl";
    public const string Namespace = "default";

    public string Name => "vms";

    private static string VirtctlFile => $"virtctl-linux-{InstallContext.NodeArchitecture}";

    public IEnumerable<string> Plan(InstallContext context)
    {
        var disks = Disks(context);
        var vms = disks.Where(d => d.Image is not null).Select(d => d.Name).ToList();
        var carriesVirtctl = context.Inventory.Entries.Concat(context.Inventory.Base?.Entries ?? []).Any(e => e.Path == BundleLayout.File(VirtctlFile));
        return
        [
            carriesVirtctl ? $"write {Virtctl}" : $"no virtctl: the bundle carries no files/{VirtctlFile}",
            $"write {VmsFile}: {string.Join(", ", vms.DefaultIfEmpty("no VirtualMachine"))}",
            .. disks.Where(d => d.Image is null).Select(d => $"{d.Name}: carried as a file only, no VirtualMachine (upload it with 'virtctl image-upload')"),
            PlatformStep.Kubeconfig(options, context) is null ? $"not applied (--root, no --kubeconfig): {VmsFile}" : "apply it to the cluster, each VirtualMachine stopped",
        ];
    }

    /// <summary>A bundled disk: its containerDisk image and, if carried as a file too, that file.</summary>
    public sealed record VmDisk(string Name, ImageReference? Image, string? File);

    public static IReadOnlyList<VmDisk> Disks(InstallContext context)
    {
        var images = context.Inventory.Images.Where(i => i.Component == ComponentNames.Vm).Select(i => ImageReference.Parse(i.Reference))
            .ToDictionary(r => r.Repository["vm/".Length..], r => r);
        var files = context.Inventory.Entries.Where(e => BundleLayout.IsIn(e.Path, BundleLayout.VmFolder))
            .ToDictionary(e => Path.GetFileNameWithoutExtension(e.Path), e => e.Path);
        return [.. images.Keys.Union(files.Keys).Order(StringComparer.Ordinal)
            .Select(name => new VmDisk(name, images.GetValueOrDefault(name), files.TryGetValue(name, out var f) ? Path.Combine(context.Content, f) : null))];
    }

    public async Task RunAsync(InstallContext context, CancellationToken cancellationToken)
    {
        if (File.Exists(context.ContentFile(VirtctlFile)))
        {
            context.Copy(context.ContentFile(VirtctlFile), Virtctl, HostRoot.Executable);
        }
        var disks = Disks(context);
        var machines = new List<object>();
        foreach (var disk in disks)
        {
            if (disk.Image is null)
            {
                context.Did($"{disk.Name}: the bundle carries the disk only as a file; upload it with 'virtctl image-upload dv {disk.Name} --size={SizeOf(disk.File!)} --image-path={HostRoot.RegistryFolder}/vm/{Path.GetFileName(disk.File)} --insecure'");
                continue;
            }
            machines.Add(VirtualMachine(disk));
            context.Did($"{disk.Name}: VirtualMachine {Namespace}/{disk.Name} from {disk.Image}{(disk.File is null ? " (containerDisk)" : $" (DataVolume {disk.Name}, {SizeOf(disk.File)})")}");
        }
        context.Write(VmsFile, "# Written by kargo-offline install: one example VM per bundled disk, stopped. Start one with 'virtctl start NAME'.\n" + YamlText.Write(machines), HostRoot.Readable);
        if (PlatformStep.Kubeconfig(options, context) is not { } kubeconfig)
        {
            context.Did($"not applied (--root, no --kubeconfig): {VmsFile}");
            return;
        }
        using var api = KubeApi.FromKubeconfig(kubeconfig);
        var applier = new ConvergingApplier(api, context.Log, options.Timeout);
        context.Details.AddRange(await applier.ApplyAsync(ManifestObject.Read(context.Root.Map(VmsFile)), [], cancellationToken));
    }

    /// <summary>The disk's size as CDI must request it: the virtual size and room for the file system, in whole GiB.</summary>
    private static string SizeOf(string file)
    {
        var bytes = DiskFormats.VirtualSize(file) * 11 / 10;
        return $"{Math.Max(1, (bytes + (1L << 30) - 1) >> 30)}Gi";
    }

    private static Dictionary<string, object> VirtualMachine(VmDisk disk)
    {
        var asFile = disk.File is not null;
        var volume = asFile
            ? Map(("name", "disk"), ("dataVolume", Map(("name", disk.Name))))
            : Map(("name", "disk"), ("containerDisk", Map(("image", disk.Image!))));
        var spec = Map(("runStrategy", "Halted"));
        if (asFile)
        {
            spec["dataVolumeTemplates"] = new[]
            {
                Map(
                    ("metadata", Map(("name", disk.Name))),
                    ("spec", Map(
                        ("source", Map(("registry", Map(("url", $"docker://{disk.Image}"), ("pullMethod", "node"))))),
                        ("storage", Map(("resources", Map(("requests", Map(("storage", SizeOf(disk.File!))))))))))),
            };
        }
        spec["template"] = Map(("spec", Map(
            ("domain", Map(
                ("devices", Map(("disks", new[] { Map(("name", "disk"), ("disk", Map(("bus", "virtio")))) }))),
                ("resources", Map(("requests", Map(("memory", "1Gi"))))))),
            ("volumes", new[] { volume }))));
        return Map(
            ("apiVersion", "kubevirt.io/v1"),
            ("kind", "VirtualMachine"),
            ("metadata", Map(("name", disk.Name), ("namespace", Namespace), ("labels", Map(("app.kubernetes.io/managed-by", "kargo"))))),
            ("spec", spec));
    }
}
