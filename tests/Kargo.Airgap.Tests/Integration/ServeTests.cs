using System.Net;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>kargo-offline serve over an unpacked bundle, read by skopeo and curl.</summary>
public sealed class ServeTests(SignedBundleFixture bundles) : IClassFixture<SignedBundleFixture>, IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private RegistryServer? _server;

    private string Host => $"{_server!.Address.Host}:{_server.Address.Port}";

    public async Task InitializeAsync()
    {
        AssertOk(await OfflineAsync("unpack", bundles.Signed, "--pub", bundles.Pub, "--to", _dir["node"]));
        _server = await RegistryServer.StartAsync(await LayoutCatalog.LoadAsync(_dir["node"]), new ServerOptions { Address = new IPEndPoint(IPAddress.Loopback, 0) });
    }

    public async Task DisposeAsync()
    {
        await _server!.DisposeAsync();
        _dir.Dispose();
    }

    private static Task<ProcessResult> Curl(params string[] args) => ProcessRunner.RunAsync("curl", ["-s", "--path-as-is", .. args]);

    [Fact]
    public async Task Skopeo_copies_every_image_out_with_the_digests_of_the_bundle()
    {
        foreach (var (repository, image) in new[] { ("signed/layered", bundles.Layered), ("signed/multi", bundles.Multi), ("signed/docker", bundles.Docker) })
        {
            var raw = await ProcessRunner.CheckedAsync("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{Host}/{repository}:1");
            Assert.Equal(image.Digest, Digest.Compute(System.Text.Encoding.UTF8.GetBytes(raw)));
            var copy = _dir[$"copy-{repository.Replace('/', '-')}"];
            await ProcessRunner.CheckedAsync("skopeo", "copy", "--src-tls-verify=false", $"docker://{Host}/{repository}:1", $"dir:{copy}");
            var amd64 = image.Children.Count > 0 ? image.Children[0] : image;
            foreach (var blob in amd64.Blobs)
            {
                Assert.Equal(blob.Content, File.ReadAllBytes(Path.Combine(copy, blob.Digest.Hex)));
            }
        }
    }

    [Fact]
    public async Task Manifests_carry_their_media_type_and_digest_and_blobs_answer_ranges()
    {
        var head = await Curl("-I", $"http://{Host}/v2/signed/docker/manifests/1");
        Assert.Contains($"Content-Type: {MediaTypes.DockerManifest}", head.Stdout);
        Assert.Contains($"Docker-Content-Digest: {bundles.Docker.Digest}", head.Stdout);

        var layer = bundles.Layered.Blobs[1];
        var range = await Curl("-D", "-", "-o", _dir["range.bin"], "-H", "Range: bytes=100-199", $"http://{Host}/v2/signed/layered/blobs/{layer.Digest}");
        Assert.Contains("206", range.Stdout.Split('\n')[0]);
        Assert.Equal(layer.Content[100..200], File.ReadAllBytes(_dir["range.bin"]));

        var tags = await Curl($"http://{Host}/v2/signed/layered/tags/list");
        Assert.Contains("\"tags\":[\"1\"]", tags.Stdout);
        var catalog = await Curl($"http://{Host}/v2/_catalog");
        Assert.Contains($"{bundles.Registry.Host}/signed/multi", catalog.Stdout);
    }

    [Theory]
    [InlineData("-X", "POST", "/v2/signed/layered/blobs/uploads/", 405, "UNSUPPORTED")]
    [InlineData("-X", "PUT", "/v2/signed/layered/manifests/2", 405, "UNSUPPORTED")]
    [InlineData("-X", "DELETE", "/v2/signed/layered/manifests/1", 405, "UNSUPPORTED")]
    [InlineData("-X", "GET", "/v2/signed/layered/manifests/nope", 404, "MANIFEST_UNKNOWN")]
    [InlineData("-X", "GET", "/v2/signed/nothing/manifests/1", 404, "NAME_UNKNOWN")]
    [InlineData("-X", "GET", "/v2/signed/layered/blobs/sha256:0000000000000000000000000000000000000000000000000000000000000000", 404, "BLOB_UNKNOWN")]
    [InlineData("-X", "GET", "/v2/signed/layered/blobs/sha256:..%2f..%2f..%2fetc%2fpasswd", 400, "DIGEST_INVALID")]
    [InlineData("-X", "GET", "/v2/signed/layered/blobs/../../../../etc/passwd", 404, "")]
    [InlineData("-X", "GET", "/v2/..%2f..%2fetc/manifests/passwd", 400, "NAME_INVALID")]
    [InlineData("-X", "GET", "/v2/signed/%2e%2e/%2e%2e/etc/manifests/passwd", 404, "")]
    public async Task Writes_unknowns_and_traversal_attempts_get_spec_errors(string flag, string method, string path, int status, string code)
    {
        var result = await Curl(flag, method, "-w", "\n%{http_code}", $"http://{Host}{path}");
        var lines = result.Stdout.Split('\n');
        Assert.Equal(status.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[^1]);
        Assert.Contains(code, result.Stdout);
        Assert.DoesNotContain("root:", result.Stdout);
    }

    [Fact]
    public async Task A_blob_damaged_on_disk_is_never_served_and_a_second_unpack_repairs_it()
    {
        var layer = bundles.Layered.Blobs[^1];
        var path = _dir[$"node/oci/blobs/sha256/{layer.Digest.Hex}"];
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0xff;
        File.WriteAllBytes(path, bytes);

        var damaged = await Curl("-w", "\n%{http_code}", $"http://{Host}/v2/signed/layered/blobs/{layer.Digest}");
        Assert.EndsWith("\n404", damaged.Stdout);
        Assert.Contains("BLOB_UNKNOWN", damaged.Stdout);
        Assert.Contains("damaged on disk", damaged.Stdout);

        AssertOk(await OfflineAsync("unpack", bundles.Signed, "--pub", bundles.Pub, "--to", _dir["node"]));
        Assert.Equal(layer.Content, File.ReadAllBytes(path));
        var repaired = await Curl("-o", _dir["fetched"], "-w", "%{http_code}", $"http://{Host}/v2/signed/layered/blobs/{layer.Digest}");
        Assert.Equal("200", repaired.Stdout);
        Assert.Equal(layer.Content, File.ReadAllBytes(_dir["fetched"]));
    }

    [Fact]
    public async Task An_index_entry_of_another_tool_is_not_served_and_says_why()
    {
        var folder = _dir["mixed/oci"];
        TestLayout.Write(folder, ("docker.io/library/busybox:1.36", TestImages.Image("mixed-busybox")), ("Not A/Valid Reference", TestImages.Image("mixed-other")));

        var catalog = await LayoutCatalog.LoadAsync(_dir["mixed"]);

        Assert.Single(catalog.Images);
        Assert.Contains("invalid image reference 'Not A/Valid Reference'", Assert.Single(catalog.Skipped));
    }

    [Fact]
    public async Task A_layout_missing_a_blob_is_refused_at_start_up_naming_it()
    {
        var layer = bundles.Layered.Blobs[2];
        File.Delete(Path.Combine(_dir["node"], "oci", "blobs", "sha256", layer.Digest.Hex));

        var error = await Assert.ThrowsAsync<KargoException>(() => LayoutCatalog.LoadAsync(_dir["node"]));

        Assert.Contains(layer.Digest.ToString(), error.Message);
        Assert.Contains("signed/layered:1", error.Message);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Podmans_docker_api_pulls_an_image_from_serve()
    {
        using var podman = new TestPodman(Host);
        using var engine = await Kargo.Airgap.Engine.EngineClient.ConnectAsync(podman.Endpoint, default);

        await engine.Images.CreateImageAsync(new Docker.DotNet.Models.ImagesCreateParameters { FromImage = $"{Host}/signed/layered", Tag = "1" }, null, new Progress<Docker.DotNet.Models.JSONMessage>(), default);

        var image = await engine.Images.InspectImageAsync($"{Host}/signed/layered:1", default);
        Assert.Equal(bundles.Layered.Blobs[0].Digest.ToString(), image.ID.StartsWith("sha256:", StringComparison.Ordinal) ? image.ID : "sha256:" + image.ID);
    }

    [Fact]
    public async Task Serve_over_tls_with_a_self_signed_ca_is_trusted_by_clients_given_the_ca()
    {
        var issued = SelfSignedTls.LoadOrCreate(_dir["tls"], IPAddress.Loopback);
        var caFile = issued.CaFile;
        await using var secure = await RegistryServer.StartAsync(await LayoutCatalog.LoadAsync(_dir["node"]), new ServerOptions { Address = new IPEndPoint(IPAddress.Loopback, 0), Certificate = issued.Certificate });
        var host = $"127.0.0.1:{secure.Address.Port}";
        Assert.Equal("https", secure.Address.Scheme);

        // The folder serve writes is one skopeo takes as it is.
        var trusted = await ProcessRunner.RunAsync("skopeo", ["inspect", "--raw", "--cert-dir", issued.CertDir, $"docker://{host}/signed/docker:1"]);
        Assert.True(trusted.ExitCode == 0, trusted.Output);
        Assert.Equal(bundles.Docker.Digest, Digest.Compute(System.Text.Encoding.UTF8.GetBytes(trusted.Stdout)));

        var untrusted = await ProcessRunner.RunAsync("skopeo", ["inspect", "--raw", $"docker://{host}/signed/docker:1"]);
        Assert.NotEqual(0, untrusted.ExitCode);
        Assert.Contains("certificate", untrusted.Stderr);

        // The CA is kept: a restart serves the same certificate chain.
        var again = SelfSignedTls.LoadOrCreate(_dir["tls"], IPAddress.Loopback);
        Assert.Equal(File.ReadAllText(caFile), File.ReadAllText(again.CaFile));
        Assert.Null(again.Issued);
    }

    [Fact]
    public void A_wildcard_address_names_every_address_of_the_machine_and_new_names_reissue_under_the_same_ca()
    {
        var first = SelfSignedTls.LoadOrCreate(_dir["tls"], IPAddress.Loopback);
        var ca = File.ReadAllText(first.CaFile);

        var wildcard = SelfSignedTls.LoadOrCreate(_dir["tls"], IPAddress.Any, ["registry.lan", "10.9.8.7"]);

        var machine = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(u => u.Address).Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        Assert.All(machine, a => Assert.Contains(a.ToString(), wildcard.Names));
        Assert.Contains("registry.lan", wildcard.Names);
        Assert.Contains("10.9.8.7", wildcard.Names);
        Assert.Contains("not naming", wildcard.Issued);
        Assert.Equal(ca, File.ReadAllText(wildcard.CaFile));
        using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(_dir["tls/server.pem"]));
        var names = certificate.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("registry.lan", names.EnumerateDnsNames());
        Assert.Contains(IPAddress.Parse("10.9.8.7"), names.EnumerateIPAddresses());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_dir["tls/ca.key"]));
        Assert.Equal(["ca.crt"], Directory.GetFiles(wildcard.CertDir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_port_in_use_is_a_clear_error()
    {
        var taken = new IPEndPoint(IPAddress.Loopback, _server!.Address.Port);

        var error = await Assert.ThrowsAsync<KargoException>(async () => await RegistryServer.StartAsync(await LayoutCatalog.LoadAsync(_dir["node"]), new ServerOptions { Address = taken }));

        Assert.Contains($"cannot listen on 127.0.0.1:{_server.Address.Port}", error.Message);
    }
}
