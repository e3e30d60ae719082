using System.Collections.Concurrent;

namespace Kargo.Airgap.Registry;

/// <summary>
/// The registry credentials a user already has, searched in the order podman, skopeo and buildah
/// use (containers-auth.json(5)): <c>--authfile</c> or <c>REGISTRY_AUTH_FILE</c> or
/// <c>$XDG_RUNTIME_DIR/containers/auth.json</c>; then <c>~/.config/containers/auth.json</c>
/// (<c>$XDG_CONFIG_HOME</c>); then docker's <c>config.json</c> (<c>--docker-config</c>,
/// <c>$DOCKER_CONFIG</c>, <c>~/.docker</c>). In each file a host's credential helper comes first,
/// then its stored credential, then the file's default helper. The first credential found wins;
/// each registry is asked once. Credentials never reach a bundle, a lock, a log or an error.
/// </summary>
public sealed class RegistryCredentials
{
    private readonly IReadOnlyList<CredentialFile> _files;
    private readonly Func<string, string?> _environment;
    private readonly Dictionary<string, Credential> _given = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Lazy<Task<Credential?>>> _found = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The files searched, in order (those that exist or not), for messages.</summary>
    public IReadOnlyList<string> Searched { get; }

    private RegistryCredentials(IReadOnlyList<string> searched, Func<string, string?> environment)
    {
        Searched = searched;
        _environment = environment;
        _files = [.. searched.Select(CredentialFile.Load).OfType<CredentialFile>()];
    }

    /// <summary>No credentials at all: every registry is reached anonymously.</summary>
    public static RegistryCredentials None() => new([], _ => null);

    /// <param name="authFile">The containers auth file to read first (podman's --authfile); null: REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json.</param>
    /// <param name="dockerConfig">Docker's config.json; null: $DOCKER_CONFIG/config.json, else ~/.docker/config.json.</param>
    /// <param name="environment">Reads environment variables (the process's unless a test gives its own).</param>
    public static RegistryCredentials Load(string? authFile = null, string? dockerConfig = null, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var home = environment("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string? Var(string name) => environment(name) is { Length: > 0 } value ? value : null;
        var primary = authFile ?? Var("REGISTRY_AUTH_FILE") ?? (Var("XDG_RUNTIME_DIR") is { } runtime ? Path.Combine(runtime, "containers", "auth.json") : null);
        var configHome = Var("XDG_CONFIG_HOME") ?? Path.Combine(home, ".config");
        var docker = dockerConfig ?? Path.Combine(Var("DOCKER_CONFIG") ?? Path.Combine(home, ".docker"), "config.json");
        string[] searched = [.. new[] { primary, Path.Combine(configHome, "containers", "auth.json"), docker }.OfType<string>().Distinct()];
        return new RegistryCredentials(searched, environment);
    }

    /// <summary>A credential given on the command line (--creds): it goes before every file.</summary>
    public RegistryCredentials With(string registry, Credential credential)
    {
        _given[Oci.ImageReference.RegistryOfHost(registry)] = credential;
        return this;
    }

    /// <summary>The credential for an image's repository on a registry, or null (anonymous).</summary>
    public Task<Credential?> FindAsync(string registry, string? repository, CancellationToken cancellationToken)
    {
        var key = repository is null ? registry : $"{registry}/{repository}";
        // Shared by every request for the repository; a helper runs once, on no caller's token.
        var found = _found.GetOrAdd(key, _ => new Lazy<Task<Credential?>>(() => SearchAsync(registry, repository)));
        return found.Value.WaitAsync(cancellationToken);
    }

    private async Task<Credential?> SearchAsync(string registry, string? repository)
    {
        if (_given.TryGetValue(registry, out var given))
        {
            return given;
        }
        foreach (var file in _files)
        {
            if (file.HelperFor(registry) is { } helper && await new CredentialHelper(helper, $"{file.Path} (credHelpers)", _environment).GetAsync(registry, CancellationToken.None) is { } fromHelper)
            {
                return fromHelper;
            }
            if (file.Find(registry, repository) is { } stored)
            {
                return stored;
            }
            if (file.Store is { } store && await new CredentialHelper(store, $"{file.Path} (credsStore)", _environment).GetAsync(registry, CancellationToken.None) is { } fromStore)
            {
                return fromStore;
            }
        }
        return null;
    }
}
