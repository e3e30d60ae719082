using System.Text;
using System.Text.Json;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Registry;

/// <summary>
/// Credentials from docker's <c>config.json</c> (<c>$DOCKER_CONFIG/config.json</c> or
/// <c>~/.docker/config.json</c>): the <c>auths</c> map, keyed by host or by URL, as
/// <c>docker login</c> and <c>podman login --compat-auth-file</c> write it.
/// Credential helpers (<c>credsStore</c>) are not run.
/// </summary>
public sealed class DockerConfigCredentials
{
    private readonly Dictionary<string, Credential> _byHost = new(StringComparer.OrdinalIgnoreCase);

    public static string DefaultPath()
    {
        var folder = Environment.GetEnvironmentVariable("DOCKER_CONFIG");
        if (string.IsNullOrEmpty(folder))
        {
            folder = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        }
        return Path.Combine(folder, "config.json");
    }

    public static DockerConfigCredentials Load(string? path = null)
    {
        path ??= DefaultPath();
        var credentials = new DockerConfigCredentials();
        if (!File.Exists(path))
        {
            return credentials;
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new KargoException($"{path}: not valid JSON ({e.Message}); fix or remove the file", e);
        }
        using (document)
        {
            if (!document.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object)
            {
                return credentials;
            }
            foreach (var entry in auths.EnumerateObject())
            {
                if (Decode(entry.Value, path) is { } credential)
                {
                    credentials._byHost[HostOf(entry.Name)] = credential;
                }
            }
        }
        return credentials;
    }

    /// <summary>Adds or replaces the credential for one registry (from a --creds option).</summary>
    public DockerConfigCredentials With(string registry, Credential credential)
    {
        _byHost[HostOf(registry)] = credential;
        return this;
    }

    /// <summary>The credential for a registry as users name it (docker.io, quay.io, host:port).</summary>
    public Credential? Find(string registry)
    {
        return _byHost.GetValueOrDefault(ImageReference.RegistryOfHost(registry));
    }

    private static string HostOf(string key)
    {
        var host = key;
        var scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            host = host[(scheme + 3)..];
        }
        var slash = host.IndexOf('/');
        if (slash >= 0)
        {
            host = host[..slash];
        }
        return ImageReference.RegistryOfHost(host);
    }

    private static Credential? Decode(JsonElement entry, string path)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        if (entry.TryGetProperty("auth", out var auth) && auth.GetString() is { Length: > 0 } encoded)
        {
            string text;
            try
            {
                text = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            }
            catch (FormatException e)
            {
                throw new KargoException($"{path}: an 'auth' value is not base64 of user:password", e);
            }
            var colon = text.IndexOf(':');
            if (colon < 0)
            {
                throw new KargoException($"{path}: an 'auth' value does not decode to user:password");
            }
            return new Credential(text[..colon], text[(colon + 1)..], path);
        }
        if (entry.TryGetProperty("username", out var user) && entry.TryGetProperty("password", out var password))
        {
            return new Credential(user.GetString() ?? "", password.GetString() ?? "", path);
        }
        return null;
    }
}
