using Kargo.Airgap.Bundle;

namespace Kargo.Airgap.Install.Steps;

/// <summary>
/// Records who signed the bundle and what it holds. The signature and size are checked on every
/// run before any step; every byte is checked as the unpack step streams it, before anything is placed.
/// </summary>
public sealed class VerifyStep : IInstallStep
{
    public string Name => "verify";

    public IEnumerable<string> Plan(InstallContext context) => [Describe(context)];

    public Task RunAsync(InstallContext context, CancellationToken cancellationToken)
    {
        context.Did(Describe(context));
        return Task.CompletedTask;
    }

    private static string Describe(InstallContext context)
    {
        var signature = context.Head.Signature == SignatureState.Verified ? $"signed by {context.Head.SignedBy}" : "signature NOT checked (--insecure-skip-signature)";
        return $"{context.Inventory.Name} {context.Inventory.Version}: {signature}; {context.Inventory.Entries.Count} entries, {context.Inventory.TotalSize} bytes, each checked by sha256 as it is unpacked";
    }
}
