using System.Text;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Registry.Http;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Unit;

public sealed class RegistryAuthTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_cancelled_first_request_does_not_cancel_the_endpoint_choice_for_the_next()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var host = $"127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}";
        // Answers each connection by closing it: not TLS, so plain HTTP.
        _ = Task.Run(async () =>
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
            }
        });
        var schemes = new PlainHttpFallbackHandler(new InsecureHosts(new HashSet<string>()));
        var endpoint = new Uri($"https://{host}/");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => schemes.SpeaksTlsAsync(endpoint, new CancellationToken(canceled: true)));

        Assert.False(await schemes.SpeaksTlsAsync(endpoint, CancellationToken.None));
    }

    [Fact]
    public void Challenge_parameters_parse_quoted_values_with_commas()
    {
        var parameters = AuthChallenge.ParseParameters("realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/ubuntu:pull,push\"");
        Assert.Equal("https://auth.docker.io/token", parameters["realm"]);
        Assert.Equal("registry.docker.io", parameters["service"]);
        Assert.Equal("repository:library/ubuntu:pull,push", parameters["scope"]);
    }

    [Fact]
    public void Docker_config_credentials_are_found_by_host_url_and_docker_hub_alias()
    {
        var path = _dir["config.json"];
        string Auth(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
        File.WriteAllText(path, $$$"""
            {"auths": {
              "https://index.docker.io/v1/": {"auth": "{{{Auth("hubuser:hubpass")}}}"},
              "quay.io": {"auth": "{{{Auth("quser:q:pass:with:colons")}}}"},
              "http://127.0.0.1:5000": {"username": "local", "password": "pw"},
              "ghcr.io": {},
              "quay.io/kubevirt": {"auth": "{{{Auth("kv:kvpass")}}}"}
            }, "credsStore": "desktop", "credHelpers": {"registry.example.com": "ecr-login"}}
            """);

        var credentials = CredentialFile.Load(path)!;

        Assert.Equal("hubuser", credentials.Find("docker.io", "library/busybox")!.Username);
        Assert.Equal("q:pass:with:colons", credentials.Find("quay.io", "org/app")!.Secret);
        Assert.Equal("kv", credentials.Find("quay.io", "kubevirt/virt-api")!.Username);
        Assert.Equal("quser", credentials.Find("quay.io", "kubevirtual/app")!.Username);
        Assert.Equal("local", credentials.Find("127.0.0.1:5000", "x")!.Username);
        Assert.Null(credentials.Find("ghcr.io", "x"));
        Assert.Null(credentials.Find("registry.k8s.io", "x"));
        Assert.Equal("desktop", credentials.Store);
        Assert.Equal("ecr-login", credentials.HelperFor("registry.example.com"));
        Assert.DoesNotContain("pass", credentials.Find("quay.io", null)!.ToString());
    }

    [Fact]
    public async Task Missing_files_mean_anonymous_and_a_broken_one_is_named()
    {
        var nothing = RegistryCredentials.Load(environment: name => name == "HOME" ? _dir["home"] : null);
        Assert.Null(await nothing.FindAsync("docker.io", "library/busybox", CancellationToken.None));
        Assert.Equal([_dir["home/.config/containers/auth.json"], _dir["home/.docker/config.json"]], nothing.Searched);

        File.WriteAllText(_dir["bad.json"], "{not json");
        var error = Assert.Throws<KargoException>(() => RegistryCredentials.Load(dockerConfig: _dir["bad.json"]));
        Assert.Contains(_dir["bad.json"], error.Message);
    }
}
