namespace Kargo.Airgap.Install;

/// <summary>One resumable step of an install: done once, recorded, skipped on a re-run.</summary>
public interface IInstallStep
{
    string Name { get; }

    /// <summary>
    /// The options this step's result depends on (addresses, the server, the cluster), as one line.
    /// A finished step whose inputs changed since runs again, and every step after it.
    /// </summary>
    string Inputs => "";

    /// <summary>What the step would do and write, for --dry-run.</summary>
    IEnumerable<string> Plan(InstallContext context);

    Task RunAsync(InstallContext context, CancellationToken cancellationToken);
}
