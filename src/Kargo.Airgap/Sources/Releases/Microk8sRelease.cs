using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources.Releases;

/// <summary>
/// microk8s: the snaps the spec lists (as 'snap download' writes them, beside the spec), each with
/// its .assert, so the node can 'snap ack' and 'snap install' them with no store. The channel is
/// recorded; the snaps are what gets installed.
/// </summary>
public sealed class Microk8sRelease : IComponentRelease
{
    public string Name => ComponentNames.Microk8s;

    public string DisplayName => "microk8s";

    public (IReadOnlyList<SpecFile> Files, IReadOnlyList<SpecFile> Manifests) Assets(SpecComponent component, IReadOnlyList<string> architectures, ReleaseHosts hosts)
    {
        var files = new List<SpecFile>();
        foreach (var snap in component.Snaps)
        {
            var assertion = snap[..^".snap".Length] + ".assert";
            files.Add(new SpecFile(snap, Path.GetFileName(snap), null, component.Line, Name));
            files.Add(new SpecFile(assertion, Path.GetFileName(assertion), null, component.Line, Name));
        }
        return (files, []);
    }
}
