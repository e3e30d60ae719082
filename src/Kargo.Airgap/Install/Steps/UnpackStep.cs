using Kargo.Airgap.Bundle;

namespace Kargo.Airgap.Install.Steps;

/// <summary>
/// Streams the bundle into /var/lib/kargo/registry, checking every entry's sha256; nothing is
/// placed unless the whole bundle verifies. A join places only what an agent needs (files/).
/// </summary>
public sealed class UnpackStep(TrustedKeys? trusted, string bundle, Func<string, bool>? include = null, IPhaseProgress? phases = null) : IInstallStep
{
    public string Name => "unpack";

    public IEnumerable<string> Plan(InstallContext context) =>
    [
        $"verify every entry of {bundle} and place {(include is null ? "it" : "files/")} in {HostRoot.RegistryFolder} ({context.Inventory.TotalSize} bytes)",
        $"one pass over every byte: {ReadRate.Estimate(BundleFiles.Locate(bundle).TotalSize, ReadRate.Sample(bundle))}",
    ];

    public Task RunAsync(InstallContext context, CancellationToken cancellationToken)
    {
        var report = BundleUnpacker.Unpack(bundle, trusted, context.Content, cancellationToken, include, phases);
        if (!report.Ok)
        {
            throw new KargoException($"{bundle} did not verify, nothing was placed:\n  {string.Join("\n  ", report.Failures.Select(f => $"{f.Entry}: {f.Problem}"))}");
        }
        var placed = include is null ? report.EntriesVerified : report.Inventory!.Entries.Count(e => include(e.Path));
        context.Did(include is null
            ? $"verified {report.EntriesVerified} entries ({report.BytesVerified} bytes) and placed them in {HostRoot.RegistryFolder}"
            : $"verified {report.EntriesVerified} entries ({report.BytesVerified} bytes) and placed the {placed} an agent needs (files/) in {HostRoot.RegistryFolder}");
        return Task.CompletedTask;
    }
}
