using System.Text.Json;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>Verified extraction into an OCI layout that real tools read, merging bundle after bundle.</summary>
public sealed class UnpackTests(SignedBundleFixture bundles) : IClassFixture<SignedBundleFixture>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Destination => _dir["node"];

    private static List<string> RefNames(string layout)
    {
        using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "oci", "index.json")));
        return [.. index.RootElement.GetProperty("manifests").EnumerateArray().Select(m => m.GetProperty("annotations").GetProperty("org.opencontainers.image.ref.name").GetString()!)];
    }

    [Fact]
    public async Task Unpack_gives_an_oci_layout_skopeo_reads_and_keeps_the_bundle_record()
    {
        var result = AssertOk(await OfflineAsync("unpack", bundles.Parted, "--pub", bundles.Pub, "--to", Destination));
        Assert.Contains("unpack: OK", result.Stdout);

        var host = bundles.Registry.Host;
        var raw = await ProcessRunner.CheckedAsync("skopeo", "inspect", "--raw", $"oci:{Destination}/oci:{host}/signed/multi:1");
        Assert.Equal(bundles.Multi.Digest, Digest.Compute(System.Text.Encoding.UTF8.GetBytes(raw)));
        foreach (var blob in bundles.Layered.Blobs)
        {
            Assert.Equal(blob.Content, File.ReadAllBytes(Path.Combine(Destination, "oci", "blobs", "sha256", blob.Digest.Hex)));
        }
        var record = Path.Combine(Destination, "bundles", "signed-test-2.0");
        Assert.True(File.Exists(Path.Combine(record, "kargo-bundle.json")));
        Assert.True(File.Exists(Path.Combine(record, "kargo-bundle.json.sig")));
        Assert.True(File.Exists(Path.Combine(record, "spec", "signed-test.yaml")));
        Assert.Empty(Directory.GetDirectories(Destination, ".kargo-staging-*"));
    }

    [Fact]
    public async Task A_second_bundle_merges_into_the_layout_and_shares_blobs()
    {
        AssertOk(await OfflineAsync("unpack", bundles.Signed, "--pub", bundles.Pub, "--to", Destination));
        var before = RefNames(Destination);
        var sharedBlob = Path.Combine(Destination, "oci", "blobs", "sha256", bundles.Layered.Blobs[1].Digest.Hex);
        var inode = new FileInfo(sharedBlob).LastWriteTimeUtc;

        // Another bundle: one image shared with the first, one new.
        using var work = new Workspace();
        using var pusher = new TestPusher(bundles.Registry);
        var extra = TestImages.Image("second-bundle");
        await pusher.PushAsync("second/app", "1", extra);
        work.WriteSpec([$"{bundles.Registry.Host}/signed/layered:1", $"{bundles.Registry.Host}/second/app:1"], name: "second", version: "1");
        AssertOk(await work.BuildAsync("--key", bundles.Key));
        var second = AssertOk(await OfflineAsync("unpack", work.Output, "--pub", bundles.Pub, "--to", Destination));

        var after = RefNames(Destination);
        Assert.Equal(before.Append($"{bundles.Registry.Host}/second/app:1").Order(StringComparer.Ordinal), after);
        Assert.Equal(inode, new FileInfo(sharedBlob).LastWriteTimeUtc);
        Assert.True(Directory.Exists(Path.Combine(Destination, "bundles", "second-1")));
        Assert.Contains("unpack: OK", second.Stdout);

        // Unpacking the first again changes nothing.
        AssertOk(await OfflineAsync("unpack", bundles.Signed, "--pub", bundles.Pub, "--to", Destination));
        Assert.Equal(after, RefNames(Destination));
    }

    [Fact]
    public async Task Staging_left_by_a_killed_unpack_is_removed_and_a_running_ones_is_kept()
    {
        Directory.CreateDirectory(_dir["node/.kargo-staging-abandoned"]);
        File.WriteAllText(_dir["node/.kargo-staging-abandoned/entry-0"], "half an entry");
        Directory.CreateDirectory(_dir["node/.kargo-staging-running"]);
        using (new FileStream(_dir["node/.kargo-staging-running/.lock"], FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
        {
            AssertOk(await OfflineAsync("unpack", bundles.Signed, "--pub", bundles.Pub, "--to", Destination));

            Assert.False(Directory.Exists(_dir["node/.kargo-staging-abandoned"]));
            Assert.True(Directory.Exists(_dir["node/.kargo-staging-running"]));
        }
        Assert.Equal([".kargo-staging-running"], Directory.GetDirectories(Destination, ".kargo-staging-*").Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_destination_folder_that_is_a_link_out_of_it_is_refused()
    {
        Directory.CreateDirectory(Destination);
        Directory.CreateDirectory(_dir["elsewhere"]);
        Directory.CreateSymbolicLink(Path.Combine(Destination, "oci"), _dir["elsewhere"]);

        var result = await OfflineAsync("unpack", bundles.Signed, "--pub", bundles.Pub, "--to", Destination);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("is a symbolic link", result.Output);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir["elsewhere"]));
    }

    [Fact]
    public async Task A_bundles_folder_that_is_a_link_is_refused_before_anything_is_placed()
    {
        Directory.CreateDirectory(Destination);
        Directory.CreateDirectory(_dir["elsewhere"]);
        Directory.CreateSymbolicLink(Path.Combine(Destination, "bundles"), _dir["elsewhere"]);

        var result = await OfflineAsync("unpack", bundles.Signed, "--pub", bundles.Pub, "--to", Destination);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("bundles is a symbolic link", result.Output);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir["elsewhere"]));
        Assert.False(Directory.Exists(Path.Combine(Destination, "oci")));
    }

    [Fact]
    public async Task A_staging_name_that_is_a_link_is_removed_not_followed()
    {
        Directory.CreateDirectory(Destination);
        Directory.CreateDirectory(_dir["elsewhere"]);
        Directory.CreateSymbolicLink(Path.Combine(Destination, ".kargo-staging-evil"), _dir["elsewhere"]);

        AssertOk(await OfflineAsync("unpack", bundles.Signed, "--pub", bundles.Pub, "--to", Destination));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir["elsewhere"]));
        Assert.False(Path.Exists(Path.Combine(Destination, ".kargo-staging-evil")));
    }
}
