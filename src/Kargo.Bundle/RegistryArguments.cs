using System.CommandLine;
using Kargo.Airgap.Registry;
using Kargo.Shared;

namespace Kargo.Bundle;

/// <summary>The options every command that talks to registries shares.</summary>
internal sealed class RegistryArguments
{
    private readonly Option<string[]> _insecure = new("--insecure-registry")
    {
        HelpName = "HOST[:PORT]",
        Description = "A registry HOST[:PORT] reached over plain HTTP, or HTTPS without certificate checks (repeatable). Loopback hosts use plain HTTP when they do not speak TLS",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string[]> _caFiles = new("--registry-ca")
    {
        HelpName = "FILE",
        Description = "A PEM file of certificate authorities to trust for HTTPS registries, besides the system's (repeatable)",
    };

    private readonly CredentialOptions _credentials = new();

    private readonly Option<string[]> _mirrors = new("--registry-mirror")
    {
        HelpName = "PREFIX=LOCATION",
        Description = "Pull images under PREFIX through a mirror, such as quay.io=harbor.lan/quay-proxy (repeatable; before registries.conf's mirrors). Digests are checked and names stay the upstream ones; upstream answers when the mirror does not",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string?> _registriesConf = new("--registries-conf")
    {
        HelpName = "FILE",
        Description = "A registries.conf to read mirrors from instead of ~/.config/containers/registries.conf or /etc/containers/registries.conf (and their registries.conf.d)",
    };

    private readonly Option<string?> _releaseMirror = new("--release-mirror")
    {
        HelpName = "URL",
        Description = "Fetch k3s, KubeVirt and CDI release assets from a mirror that keeps upstream hosts as folders (MIRROR/github.com/k3s-io/…)",
    };

    private readonly Option<string?> _engine = new("--engine")
    {
        HelpName = "URL",
        Description = "The Docker or Podman engine API for spec.images with source: docker (default: DOCKER_HOST, then /var/run/docker.sock, then /run/podman/podman.sock)",
    };

    private readonly Option<string?> _helm = new("--helm")
    {
        HelpName = "PATH|none",
        Description = "The helm that renders spec.charts ('helm template' with the spec's values) to find the images they run (default: helm on PATH). 'none', or no helm at all: the chart's artifacthub.io/images annotation and values conventions, which lock says to check",
    };

    public string? Helm(ParseResult parse) => parse.GetValue(_helm);

    public string? ReleaseMirror(ParseResult parse) => parse.GetValue(_releaseMirror);

    public Uri? Engine(ParseResult parse) => parse.GetValue(_engine) is { } engine ? new Uri(engine) : null;

    public void AddTo(Command command)
    {
        command.Add(_releaseMirror);
        command.Add(_insecure);
        command.Add(_caFiles);
        _credentials.AddTo(command);
        command.Add(_mirrors);
        command.Add(_registriesConf);
        command.Add(_engine);
        command.Add(_helm);
    }

    public RegistryOptions Read(ParseResult parse, Action<string>? log = null) => new()
    {
        Mirrors = RegistryMirrors.Load(parse.GetValue(_mirrors) ?? [], parse.GetValue(_registriesConf)),
        MirrorLog = log,
        InsecureRegistries = new HashSet<string>(parse.GetValue(_insecure) ?? [], StringComparer.OrdinalIgnoreCase),
        CaFiles = parse.GetValue(_caFiles) ?? [],
        Credentials = _credentials.Read(parse),
    };
}
