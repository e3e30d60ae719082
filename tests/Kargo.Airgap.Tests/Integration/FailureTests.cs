using System.Net;
using System.Net.Sockets;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>Bad input and bad registries: a clear error, exit 1, and no bundle at the output path.</summary>
public sealed class FailureTests : RegistryTest
{
    private void AssertNothingWritten()
    {
        Assert.False(File.Exists(Work.Output), "a bundle was left at the output path");
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(Work.Output)!, "*.tmp"));
    }

    [Fact]
    public async Task Unknown_image_names_the_reference_and_the_spec_line()
    {
        await Pusher.PushAsync("known/app", "1", TestImages.Image("known"));
        Work.WriteSpec([$"{Registry.Host}/known/app:1", $"{Registry.Host}/no/such-image:1"]);

        var result = await Work.BuildAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{Work.Spec}:10:", result.Stderr);
        Assert.Contains($"{Registry.Host}/no/such-image:1: manifest not found", result.Stderr);
        Assert.Contains("MANIFEST_UNKNOWN", result.Stderr, StringComparison.Ordinal);
        AssertNothingWritten();
    }

    [Fact]
    public async Task Unknown_tag_is_reported_with_theRegistry_error_code()
    {
        await Pusher.PushAsync("tags/app", "1", TestImages.Image("tags"));
        Work.WriteSpec([$"{Registry.Host}/tags/app:2"]);

        var result = await Work.BuildAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{Registry.Host}/tags/app:2: manifest not found", result.Stderr);
        Assert.Contains("MANIFEST_UNKNOWN", result.Stderr);
        AssertNothingWritten();
    }

    [Fact]
    public async Task Registry_down_says_it_cannot_reach_it()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        Work.WriteSpec([$"127.0.0.1:{port}/gone/app:1"]);

        var result = await Work.BuildAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"cannot reach registry 127.0.0.1:{port}", result.Stderr);
        // Loopback already gets plain HTTP: the registry is down, and no option would help.
        Assert.DoesNotContain("insecure", result.Stderr);
        AssertNothingWritten();
    }

    [Fact]
    public async Task A_blob_altered_in_theRegistry_is_refused_and_not_cached()
    {
        var image = TestImages.Image("tampered", layerSize: 256 * 1024);
        await Pusher.PushAsync("tampered/app", "1", image);
        var layer = image.Blobs[^1];
        var file = Registry.BlobDataPath(layer.Digest);
        var bytes = File.ReadAllBytes(file);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(file, bytes);
        Work.WriteSpec([$"{Registry.Host}/tampered/app:1"]);

        var result = await Work.BuildAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"blob {layer.Digest} does not match its digest", result.Stderr);
        Assert.False(File.Exists(Path.Combine(Work.Cache, "blobs", "sha256", layer.Digest.Hex)));
        AssertNothingWritten();
    }

    [Fact]
    public async Task A_manifest_altered_in_theRegistry_is_refused()
    {
        var image = TestImages.Image("tampered-manifest");
        await Pusher.PushAsync("tampered/manifest", "1", image);
        Work.WriteSpec([$"{Registry.Host}/tampered/manifest:1"]);
        AssertOk(await Work.LockAsync());
        var file = Registry.BlobDataPath(image.Digest);
        File.WriteAllText(file, File.ReadAllText(file).Replace("\"size\":", "\"size\": ", StringComparison.Ordinal));

        // A fresh cache: the one lock filled already holds the verified manifest.
        var result = await Cli.BundleAsync("build", Work.Spec, "-o", Work.Output, "--lock", Work.Lock, "--cache", Work["fresh-cache"], "--locked");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"not the pinned {image.Digest}", result.Stderr);
        AssertNothingWritten();
    }

    [Fact]
    public async Task A_platform_the_image_lacks_is_named_with_what_it_offers()
    {
        await Pusher.PushAsync("plat/app", "1", TestImages.Index("plat", ManifestFormat.Oci, "amd64", "arm64"));
        Work.WriteSpec([$"{Registry.Host}/plat/app:1"], "[linux/s390x]");

        var result = await Work.BuildAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no manifest for linux/s390x; it offers linux/amd64, linux/arm64", result.Stderr);
        AssertNothingWritten();
    }

    [Fact]
    public async Task Spec_errors_name_file_line_and_reference()
    {
        File.WriteAllText(Work.Spec, """
            kind: Bundle
            metadata: {name: demo, version: "1"}
            spec:
              images:
                - docker.io/library/busybox:1.36
                - docker.io/Library/Busybox:1
            """);

        var result = await Work.BuildAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{Work.Spec}:6:", result.Stderr);
        Assert.Contains("docker.io/Library/Busybox:1", result.Stderr);
        Assert.Contains("must be lowercase", result.Stderr);
        AssertNothingWritten();
    }

    [Fact]
    public async Task Service_unavailable_answers_are_retried_with_backoff()
    {
        var image = TestImages.Image("flaky");
        await Pusher.PushAsync("flaky/app", "1", image);
        using var proxy = new ThrottlingProxy(Registry.Host) { UnavailableConnections = 3 };
        Work.WriteSpec([$"{proxy.Host}/flaky/app:1"]);

        var result = await Work.BuildAsync();

        AssertOk(result);
        Assert.Equal(3, proxy.Refused);
        Assert.Contains($"resolved {proxy.Host}/flaky/app:1 to {image.Digest}", result.Stderr);
    }

    [Fact]
    public async Task ARegistry_that_stays_unavailable_is_reported_after_the_retries()
    {
        using var proxy = new ThrottlingProxy(Registry.Host) { UnavailableConnections = 100 };
        Work.WriteSpec([$"{proxy.Host}/down/app:1"]);

        var result = await Work.BuildAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("the registry answered 503 Service Unavailable", result.Stderr);
        Assert.InRange(proxy.Refused, 4, 6);
        AssertNothingWritten();
    }

    [Fact]
    public async Task Usage_errors_exit_2_with_a_pointer_to_help()
    {
        var result = await Cli.BundleAsync("build", Work.Spec);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--output", result.Stderr);
        Assert.Contains("kargo-bundle --help", result.Stderr);
    }
}
