using System.Text;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>Basic auth, token auth and TLS with a private CA, each against the real registry.</summary>
public sealed class AuthAndTlsTests : IDisposable
{
    private readonly Workspace _work = new();

    public void Dispose() => _work.Dispose();

    private string DockerConfig(string user, string password)
    {
        var path = _work["docker-config.json"];
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        File.WriteAllText(path, "{\"auths\": {\"REGISTRY\": {\"auth\": \"" + auth + "\"}}}");
        return path;
    }

    private string WithHost(string path, TestRegistry registry)
    {
        File.WriteAllText(path, File.ReadAllText(path).Replace("REGISTRY", registry.Host, StringComparison.Ordinal));
        return path;
    }

    [Fact]
    public async Task Htpasswd_basic_auth_uses_docker_config_credentials_and_refuses_wrong_ones()
    {
        using var registry = new TestRegistry(htpasswd: true);
        await TestPusher.SeedAsync(registry, "private/app", TestImages.Image("basic"));
        _work.WriteSpec([$"{registry.Host}/private/app:1"]);

        var anonymous = await _work.BuildAsync("--docker-config", _work["none.json"]);
        Assert.Equal(1, anonymous.ExitCode);
        Assert.Contains("authentication failed", anonymous.Stderr);
        Assert.Contains($"docker login {registry.Host}", anonymous.Stderr);
        Assert.False(File.Exists(_work.Output));

        var wrong = await _work.BuildAsync("--docker-config", WithHost(DockerConfig(TestRegistry.User, "not-the-password"), registry));
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("were refused", wrong.Stderr);
        Assert.DoesNotContain("not-the-password", wrong.Output);
        Assert.False(File.Exists(_work.Output));

        var right = await _work.BuildAsync("--docker-config", WithHost(DockerConfig(TestRegistry.User, TestRegistry.Password), registry));
        Assert.True(right.ExitCode == 0, right.Output);
        Assert.True(File.Exists(_work.Output));
        Assert.DoesNotContain(TestRegistry.Password, right.Output);
        Assert.DoesNotContain(TestRegistry.Password, Encoding.UTF8.GetString(File.ReadAllBytes(_work.Output)));
    }

    [Fact]
    public async Task Token_auth_fetches_a_bearer_token_from_the_challenge_realm()
    {
        using var registry = new TestRegistry(tokenAuth: true);
        var image = TestImages.Index("token", ManifestFormat.Oci, "amd64", "arm64");
        await TestPusher.SeedAsync(registry, "team/app", image);
        var issuedBySeeding = registry.Tokens!.Issued;
        _work.WriteSpec([$"{registry.Host}/team/app:1"]);

        var wrong = await _work.BuildAsync("--docker-config", WithHost(DockerConfig("someone", "else"), registry));
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("authentication failed", wrong.Stderr);

        var result = await _work.BuildAsync("--docker-config", WithHost(DockerConfig(TestRegistry.User, TestRegistry.Password), registry));
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.True(registry.Tokens.Issued > issuedBySeeding);
        Assert.Contains($"resolved {registry.Host}/team/app:1 to {image.Digest}", result.Stderr);
    }

    [Fact]
    public async Task Tls_with_a_private_ca_is_trusted_only_when_the_ca_is_given()
    {
        using var registry = new TestRegistry(tls: true);
        await TestPusher.SeedAsync(registry, "secure/app", TestImages.Image("tls"));
        _work.WriteSpec([$"{registry.Host}/secure/app:1"]);

        var untrusted = await _work.BuildAsync();
        Assert.Equal(1, untrusted.ExitCode);
        Assert.Contains($"cannot reach registry {registry.Host} (https://", untrusted.Stderr);
        Assert.False(File.Exists(_work.Output));

        var trusted = await _work.BuildAsync("--registry-ca", registry.Tls!.CaFile);
        Assert.True(trusted.ExitCode == 0, trusted.Output);

        // --insecure-registry: HTTPS without certificate checks, for a registry the user vouches for.
        var insecure = await Cli.BundleAsync("build", _work.Spec, "-o", _work["insecure.kargo"], "--lock", _work.Lock, "--cache", _work["cache2"], "--insecure-registry", registry.Host);
        Assert.True(insecure.ExitCode == 0, insecure.Output);
    }
}
