using System.Net;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Registry;

namespace Kargo.Airgap.Install;

/// <summary>What <c>kargo-offline install</c> was asked to do.</summary>
public sealed record InstallOptions
{
    public required string Bundle { get; init; }

    /// <summary>The keys to trust; null skips the signature check (--insecure-skip-signature).</summary>
    public TrustedKeys? Trusted { get; init; }

    /// <summary>/ on a node, or a folder standing in for it (--root): files only, commands recorded.</summary>
    public string Root { get; init; } = "/";

    /// <summary>Where the embedded registry listens.</summary>
    public IPEndPoint RegistryAddress { get; init; } = new(IPAddress.Any, 5000);

    /// <summary>Push into this existing registry (HOST[:PORT]) instead of running the embedded one.</summary>
    public string? PushRegistry { get; init; }

    /// <summary>How to reach <see cref="PushRegistry"/> (TLS, credentials).</summary>
    public RegistryOptions PushOptions { get; init; } = new();

    /// <summary>The cluster to apply the platform to; by default k3s's on a node, none under --root.</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>How long to wait for each thing to become ready (the API, KubeVirt, CDI).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Where the unpack reports the bytes it verified and placed.</summary>
    public IPhaseProgress? Phases { get; init; }

    /// <summary>How the registry service starts kargo-offline.</summary>
    public required RegistryLauncher Launcher { get; init; }

    /// <summary>--node-os ID[:VERSION]: the distribution a --root stands in for (else its /etc/os-release).</summary>
    public string? NodeOs { get; init; }
}

/// <summary>
/// How systemd starts <c>kargo-offline serve</c>: a self-contained binary is copied to
/// /usr/local/bin so the service does not depend on the USB stick; a framework-dependent build
/// (a developer's) is started where it is.
/// </summary>
/// <param name="BinaryToInstall">The self-contained kargo-offline to copy to /usr/local/bin, if this is one.</param>
/// <param name="Command">The words that start kargo-offline when it is not copied (dotnet and the dll).</param>
public sealed record RegistryLauncher(string? BinaryToInstall, IReadOnlyList<string> Command)
{
    public const string InstalledPath = "/usr/local/bin/kargo-offline";

    /// <summary>The words ExecStart begins with.</summary>
    public IReadOnlyList<string> Start => BinaryToInstall is null ? Command : [InstalledPath];
}
