using System.Text;
using System.Text.Json;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Registry;

/// <summary>
/// One credentials file in the format docker's <c>config.json</c> and the containers tools'
/// <c>auth.json</c> share: <c>auths</c> keyed by host, URL or namespace (<c>quay.io/org</c>), and
/// the helpers to ask instead (<c>credHelpers</c> per host, <c>credsStore</c> for the rest).
/// </summary>
public sealed class CredentialFile
{
    private readonly Dictionary<string, Credential> _auths = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _helpers = new(StringComparer.OrdinalIgnoreCase);

    public string Path { get; }

    /// <summary>The helper for every registry without its own (docker's <c>credsStore</c>).</summary>
    public string? Store { get; private set; }

    private CredentialFile(string path)
    {
        Path = path;
    }

    /// <summary>The file, or null when it does not exist; one that is not valid JSON is an error naming it.</summary>
    public static CredentialFile? Load(string path)
    {
        if (!File.Exists(path))
        {
            return null;
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
        var file = new CredentialFile(path);
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return file;
            }
            if (root.TryGetProperty("auths", out var auths) && auths.ValueKind == JsonValueKind.Object)
            {
                foreach (var entry in auths.EnumerateObject())
                {
                    if (file.Decode(entry.Value) is { } credential)
                    {
                        file._auths[KeyOf(entry.Name)] = credential;
                    }
                }
            }
            if (root.TryGetProperty("credHelpers", out var helpers) && helpers.ValueKind == JsonValueKind.Object)
            {
                foreach (var entry in helpers.EnumerateObject().Where(e => e.Value.ValueKind == JsonValueKind.String))
                {
                    file._helpers[KeyOf(entry.Name)] = entry.Value.GetString()!;
                }
            }
            if (root.TryGetProperty("credsStore", out var store) && store.ValueKind == JsonValueKind.String && store.GetString() is { Length: > 0 } name)
            {
                file.Store = name;
            }
        }
        return file;
    }

    /// <summary>The helper named for this registry alone (<c>credHelpers</c>), if any.</summary>
    public string? HelperFor(string registry) => _helpers.GetValueOrDefault(registry);

    /// <summary>
    /// The credential stored in the file for an image's repository: the longest namespace key that
    /// contains it (<c>quay.io/org/app</c>, then <c>quay.io/org</c>), then the registry's own.
    /// </summary>
    public Credential? Find(string registry, string? repository)
    {
        var path = repository is null ? registry : $"{registry}/{repository}";
        while (true)
        {
            if (_auths.TryGetValue(path, out var credential))
            {
                return credential;
            }
            var slash = path.LastIndexOf('/');
            if (slash < 0)
            {
                return null;
            }
            path = path[..slash];
        }
    }

    /// <summary>A key as docker and podman write it (host, https://host/v1/, host/namespace) as registry[/namespace].</summary>
    private static string KeyOf(string key)
    {
        var text = key;
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            // A URL names a host: docker login writes https://index.docker.io/v1/ for Docker Hub.
            text = text[(scheme + 3)..];
            var end = text.IndexOf('/');
            text = end >= 0 ? text[..end] : text;
        }
        var slash = text.IndexOf('/');
        var host = slash >= 0 ? text[..slash] : text;
        return ImageReference.RegistryOfHost(host) + (slash >= 0 ? text[slash..].TrimEnd('/') : "");
    }

    private Credential? Decode(JsonElement entry)
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
                throw new KargoException($"{Path}: an 'auth' value is not base64 of user:password", e);
            }
            var colon = text.IndexOf(':');
            return colon >= 0 ? new Credential(text[..colon], text[(colon + 1)..], Path) : throw new KargoException($"{Path}: an 'auth' value does not decode to user:password");
        }
        if (entry.TryGetProperty("username", out var user) && entry.TryGetProperty("password", out var password))
        {
            return new Credential(user.GetString() ?? "", password.GetString() ?? "", Path);
        }
        return null;
    }
}
