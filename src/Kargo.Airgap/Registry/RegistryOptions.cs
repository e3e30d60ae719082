namespace Kargo.Airgap.Registry;

/// <summary>How to reach registries: which may use plain HTTP, which CAs to trust, whose credentials.</summary>
public sealed record RegistryOptions
{
    /// <summary>Hosts (HOST or HOST:PORT) reached over plain HTTP, or HTTPS without certificate checks.</summary>
    public IReadOnlySet<string> InsecureRegistries { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>PEM files of extra certificate authorities to trust for HTTPS registries.</summary>
    public IReadOnlyList<string> CaFiles { get; init; } = [];

    public RegistryCredentials Credentials { get; init; } = RegistryCredentials.None();

    /// <summary>Mirrors to pull through (registries.conf, --registry-mirror); pushes never use them.</summary>
    public RegistryMirrors Mirrors { get; init; } = RegistryMirrors.None();

    /// <summary>Where a mirror that did not serve something is said (a warning line); null says nothing.</summary>
    public Action<string>? MirrorLog { get; init; }

    /// <summary>How a request that meets a 5xx, a 429 or a dropped connection is tried again.</summary>
    public Backoff Retry { get; init; } = Backoff.Default;

    /// <summary>How the program that uses these options names a host as insecure, for the hint when one cannot be reached ({0} is the host).</summary>
    public string InsecureHint { get; init; } = "--insecure-registry {0}";
}
