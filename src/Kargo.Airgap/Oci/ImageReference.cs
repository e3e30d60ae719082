using System.Text.RegularExpressions;

namespace Kargo.Airgap.Oci;

/// <summary>
/// An image reference normalised as docker does: <c>ubuntu</c> is
/// <c>docker.io/library/ubuntu:latest</c>; a first component with a dot, a colon or
/// <c>localhost</c> is a registry host; a digest pins the content whatever the tag says.
/// </summary>
public sealed partial record ImageReference
{
    public const string DockerHub = "docker.io";

    /// <summary>The registry as users name it (docker.io, quay.io, 127.0.0.1:5000).</summary>
    public string Registry { get; }

    /// <summary>The repository path under the registry (library/ubuntu, kubevirt/virt-api).</summary>
    public string Repository { get; }

    public string? Tag { get; }
    public Digest? Digest { get; }

    private ImageReference(string registry, string repository, string? tag, Digest? digest)
    {
        Registry = registry;
        Repository = repository;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>The host the distribution API answers on: Docker Hub serves docker.io from registry-1.</summary>
    public string ApiHost => ApiHostOf(Registry);

    private const string DockerHubApiHost = "registry-1.docker.io";

    /// <summary>The host a registry's distribution API answers on.</summary>
    public static string ApiHostOf(string registry) => registry == DockerHub ? DockerHubApiHost : registry;

    /// <summary>The registry a host name stands for: Docker Hub's other names (index.docker.io, registry-1.docker.io) are docker.io.</summary>
    public static string RegistryOfHost(string host) => host is "index.docker.io" or DockerHubApiHost ? DockerHub : host;

    /// <summary>registry/repository, without tag or digest.</summary>
    public string Name => $"{Registry}/{Repository}";

    public static ImageReference Parse(string value)
    {
        var reference = value.Trim();
        if (reference.Length == 0)
        {
            throw Invalid(value, "it is empty");
        }

        Digest? digest = null;
        var at = reference.IndexOf('@');
        if (at >= 0)
        {
            var digestText = reference[(at + 1)..];
            if (!Oci.Digest.TryParse(digestText, out var parsed))
            {
                throw Invalid(value, $"'{digestText}' is not a digest (expected sha256: and 64 lowercase hex digits)");
            }
            digest = parsed;
            reference = reference[..at];
        }

        string? tag = null;
        var colon = reference.LastIndexOf(':');
        if (colon > reference.LastIndexOf('/'))
        {
            tag = reference[(colon + 1)..];
            reference = reference[..colon];
            if (!TagPattern().IsMatch(tag))
            {
                throw Invalid(value, $"tag '{tag}' is not valid (letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-')");
            }
        }

        var (registry, repository) = SplitRegistry(reference);
        if (repository.Any(char.IsUpper))
        {
            throw Invalid(value, $"repository '{repository}' must be lowercase (try '{repository.ToLowerInvariant()}')");
        }
        if (!RepositoryPattern().IsMatch(repository))
        {
            throw Invalid(value, $"repository '{repository}' is not valid (lowercase path components of letters, digits and single separators . _ __ -)");
        }
        if (!RegistryPattern().IsMatch(registry))
        {
            throw Invalid(value, $"registry host '{registry}' is not valid");
        }
        if (registry.Length + 1 + repository.Length > 255)
        {
            throw Invalid(value, "the name is longer than 255 characters");
        }
        if (tag is null && digest is null)
        {
            tag = "latest";
        }
        return new ImageReference(registry, repository, tag, digest);
    }

    private static (string Registry, string Repository) SplitRegistry(string name)
    {
        var slash = name.IndexOf('/');
        string registry;
        string repository;
        if (slash < 0)
        {
            (registry, repository) = (DockerHub, name);
        }
        else
        {
            var first = name[..slash];
            var isHost = first.Contains('.') || first.Contains(':') || first == "localhost";
            (registry, repository) = isHost ? (first.ToLowerInvariant(), name[(slash + 1)..]) : (DockerHub, name);
        }
        registry = RegistryOfHost(registry);
        if (registry == DockerHub && !repository.Contains('/'))
        {
            repository = "library/" + repository;
        }
        return (registry, repository);
    }

    /// <summary>This reference pinned to a digest, keeping its tag for the record.</summary>
    public ImageReference WithDigest(Digest digest) => new(Registry, Repository, Tag, digest);

    /// <summary>
    /// The name an image goes by in a layout's index.json and in containerd: registry/repository:tag,
    /// or registry/repository@digest when no tag was given.
    /// </summary>
    public string RefName => Tag is not null ? $"{Name}:{Tag}" : ToString();

    /// <summary>The reference a registry request uses: the digest when pinned, else the tag.</summary>
    public string ManifestReference => Digest?.ToString() ?? Tag!;

    public override string ToString()
    {
        var text = Name;
        if (Tag is not null)
        {
            text += ":" + Tag;
        }
        if (Digest is { } digest)
        {
            text += "@" + digest;
        }
        return text;
    }

    private static KargoException Invalid(string value, string why) =>
        new($"invalid image reference '{value}': {why}");

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\z")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*\z")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex(@"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::[0-9]{1,5})?\z|^\[[0-9a-f:]+\](?::[0-9]{1,5})?\z")]
    private static partial Regex RegistryPattern();
}
