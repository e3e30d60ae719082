using System.CommandLine;
using Kargo.Airgap.Registry;

namespace Kargo.Shared;

/// <summary>Where registry credentials are read from: the files podman, skopeo, buildah and docker write, with their credential helpers.</summary>
internal sealed class CredentialOptions
{
    private readonly Option<string?> _authFile = new("--authfile")
    {
        HelpName = "FILE",
        Description = "A containers auth file (as 'podman login' and 'skopeo login' write) to read first (default: REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json); ~/.config/containers/auth.json and the docker config follow",
    };

    private readonly Option<string?> _dockerConfig = new("--docker-config")
    {
        HelpName = "FILE",
        Description = "Docker config.json to read credentials from, after the containers auth files (default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json). credsStore and credHelpers run docker-credential-NAME",
    };

    public void AddTo(Command command)
    {
        command.Add(_authFile);
        command.Add(_dockerConfig);
    }

    public RegistryCredentials Read(ParseResult parse) => RegistryCredentials.Load(parse.GetValue(_authFile), parse.GetValue(_dockerConfig));
}
