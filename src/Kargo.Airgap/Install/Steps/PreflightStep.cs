using System.Net;
using Kargo.Airgap.Install.Node;

namespace Kargo.Airgap.Install.Steps;

/// <summary>
/// Checks the node before anything is written (<see cref="NodeChecks"/>): any FAIL line stops the
/// install with every line shown, so what to fix in the firmware or the OS is known at once.
/// </summary>
/// <param name="registryAddress">The port the embedded registry will take, or null when none will run here.</param>
/// <param name="kubeconfig">The cluster given with --kubeconfig, if any.</param>
/// <param name="nodeOs">--node-os: the distribution a --root stands in for.</param>
public sealed class PreflightStep(IPEndPoint? registryAddress, string? kubeconfig = null, string? nodeOs = null) : IInstallStep
{
    public string Name => "preflight";

    public IEnumerable<string> Plan(InstallContext context) => Checks(context).Select(c => c.ToString());

    public Task RunAsync(InstallContext context, CancellationToken cancellationToken)
    {
        var checks = Checks(context);
        checks.ForEach(c => context.Did(c.ToString()));
        var failed = checks.Where(c => c.Outcome == CheckOutcome.Fail).ToList();
        if (failed.Count > 0)
        {
            throw new KargoException($"{failed.Count} preflight check(s) failed: {string.Join("; ", failed.Select(c => c.Name))}");
        }
        return Task.CompletedTask;
    }

    public List<PreflightCheck> Checks(InstallContext context) =>
        NodeChecks.Run(new NodeCheckInput(context.Root, NodeOs.Read(context.Root, nodeOs), context.Inventory, context.Head.Files.FirstOrDefault(), registryAddress, kubeconfig));
}
