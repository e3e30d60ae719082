using System.Text;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// Credentials where users keep them — a docker credential helper, an auth file written by
/// 'skopeo login' — in front of the real registry with htpasswd auth.
/// </summary>
public sealed class CredentialTests : IDisposable
{
    private readonly Workspace _work = new();

    public void Dispose() => _work.Dispose();

    /// <summary>A docker-credential-NAME on a PATH of its own: a shell script speaking the helper protocol, recording what it was asked.</summary>
    private string Helper(string name, string body)
    {
        var path = _work[$"helpers/docker-credential-{name}"];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread server\necho \"$server\" >> \"$(dirname \"$0\")/asked\"\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return Path.GetDirectoryName(path)!;
    }

    private RegistryCredentials WithConfig(string dockerConfigJson, string helpers)
    {
        Directory.CreateDirectory(_work["docker"]);
        File.WriteAllText(_work["docker/config.json"], dockerConfigJson);
        return RegistryCredentials.Load(dockerConfig: _work["docker/config.json"], environment: name => name switch
        {
            "PATH" => helpers,
            "HOME" => _work["home"],
            _ => null,
        });
    }

    private static async Task<RawManifest> PullAsync(RegistryCredentials credentials, TestRegistry registry, string repository)
    {
        using var client = new RegistryClient(new RegistryOptions { Credentials = credentials });
        return await client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/{repository}:1"));
    }

    [Fact]
    public async Task A_credential_store_helper_answers_for_the_registry_it_is_asked_about()
    {
        using var registry = new TestRegistry(htpasswd: true);
        var image = TestImages.Image("helper-store");
        await TestPusher.SeedAsync(registry, "private/app", image);
        var helpers = Helper("kargotest", $$"""echo '{"ServerURL":"'"$server"'","Username":"{{TestRegistry.User}}","Secret":"{{TestRegistry.Password}}"}'""");

        var manifest = await PullAsync(WithConfig("""{"auths": {}, "credsStore": "kargotest"}""", helpers), registry, "private/app");

        Assert.Equal(image.Digest, manifest.Digest);
        Assert.Equal(registry.Host, File.ReadAllText(Path.Combine(helpers, "asked")).Trim());
    }

    [Fact]
    public async Task A_per_registry_helper_goes_before_the_store_and_a_helper_without_the_credential_means_none()
    {
        using var registry = new TestRegistry(htpasswd: true);
        await TestPusher.SeedAsync(registry, "private/app", TestImages.Image("helper-per-host"));
        var helpers = Helper("right", $$"""echo '{"Username":"{{TestRegistry.User}}","Secret":"{{TestRegistry.Password}}"}'""");
        Helper("empty", "echo 'credentials not found in native keychain'; exit 1");

        var manifest = await PullAsync(WithConfig($$$"""{"credsStore": "empty", "credHelpers": {"{{{registry.Host}}}": "right"}}""", helpers), registry, "private/app");
        var error = await Assert.ThrowsAsync<RegistryException>(() => PullAsync(WithConfig("""{"credsStore": "empty"}""", helpers), registry, "private/app"));

        Assert.Equal(64, manifest.Digest.Hex.Length);
        Assert.Contains($"no credentials for {registry.Host} were found", error.Message);
    }

    [Fact]
    public async Task A_missing_or_failing_helper_is_named_and_its_output_never_shown()
    {
        using var registry = new TestRegistry(htpasswd: true);
        await TestPusher.SeedAsync(registry, "private/app", TestImages.Image("helper-broken"));
        var helpers = Helper("broken", "echo 'the keyring is locked' >&2; echo 'SECRET-ON-STDOUT'; exit 3");

        var missing = await Assert.ThrowsAsync<KargoException>(() => PullAsync(WithConfig("""{"credsStore": "nowhere"}""", helpers), registry, "private/app"));
        var failing = await Assert.ThrowsAsync<KargoException>(() => PullAsync(WithConfig("""{"credsStore": "broken"}""", helpers), registry, "private/app"));

        Assert.Contains("docker-credential-nowhere is not on PATH", missing.Message);
        Assert.Contains("credsStore", missing.Message);
        Assert.Contains("docker-credential-broken", failing.Message);
        Assert.Contains("exit 3", failing.Message);
        Assert.Contains("the keyring is locked", failing.Message);
        Assert.DoesNotContain("SECRET-ON-STDOUT", failing.Message);
    }

    [Fact]
    public async Task A_build_uses_the_auth_file_skopeo_login_wrote_and_never_carries_the_password()
    {
        using var registry = new TestRegistry(htpasswd: true);
        await TestPusher.SeedAsync(registry, "private/app", TestImages.Image("skopeo-login"));
        var authFile = _work["containers/auth.json"];
        var login = await ProcessRunner.RunAsync("skopeo", ["login", "--authfile", authFile, "--tls-verify=false", "-u", TestRegistry.User, "-p", TestRegistry.Password, registry.Host]);
        Assert.True(login.ExitCode == 0, login.Output);
        _work.WriteSpec([$"{registry.Host}/private/app:1"]);

        var result = await _work.BuildAsync("--authfile", authFile, "--docker-config", _work["none.json"]);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.DoesNotContain(TestRegistry.Password, result.Output);
        Assert.DoesNotContain(TestRegistry.Password, Encoding.UTF8.GetString(File.ReadAllBytes(_work.Output)));
        Assert.DoesNotContain(TestRegistry.Password, File.ReadAllText(_work.Lock));
    }

    [Fact]
    public async Task REGISTRY_AUTH_FILE_goes_before_the_docker_config_as_podman_reads_them()
    {
        using var registry = new TestRegistry(htpasswd: true);
        await TestPusher.SeedAsync(registry, "private/app", TestImages.Image("auth-file-order"));
        string Auth(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        string Config(string auth) => "{\"auths\": {\"" + registry.Host + "\": {\"auth\": \"" + auth + "\"}}}";
        File.WriteAllText(_work["auth.json"], Config(Auth(TestRegistry.User, TestRegistry.Password)));
        Directory.CreateDirectory(_work["docker"]);
        File.WriteAllText(_work["docker/config.json"], Config(Auth("wrong", "wrong")));
        var credentials = RegistryCredentials.Load(dockerConfig: _work["docker/config.json"], environment: name => name == "REGISTRY_AUTH_FILE" ? _work["auth.json"] : null);

        var manifest = await PullAsync(credentials, registry, "private/app");

        Assert.Equal(_work["auth.json"], (await credentials.FindAsync(registry.Host, "private/app", CancellationToken.None))!.Source);
        Assert.Equal(64, manifest.Digest.Hex.Length);
    }
}
