using System.Formats.Tar;
using System.Text.Json;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>Builds bundles from the real distribution registry and reads them back with real tools.</summary>
public sealed class BuildTests : RegistryTest
{
    [Fact]
    public async Task Bundle_holds_every_kind_of_image_byte_for_byte_and_skopeo_reads_it()
    {
        var shared = TestImages.Layer("shared-base");
        var oci = TestImages.Image("oci", sharedLayer: shared);
        var docker = TestImages.Image("docker", ManifestFormat.Docker);
        var zstd = TestImages.Image("zstd", compression: LayerCompression.Zstd, sharedLayer: shared);
        var ociIndex = TestImages.Index("oci-index", ManifestFormat.Oci, "amd64", "arm64");
        var dockerList = TestImages.Index("docker-list", ManifestFormat.Docker, "amd64", "arm64");
        await Pusher.PushAsync("apps/oci", "1.0", oci);
        await Pusher.PushAsync("apps/docker", "v2", docker);
        await Pusher.PushAsync("apps/zstd", "1", zstd);
        await Pusher.PushAsync("multi/oci", "1", ociIndex);
        await Pusher.PushAsync("multi/docker", "1", dockerList);
        var host = Registry.Host;
        Work.WriteSpec([$"{host}/apps/oci:1.0", $"{host}/apps/docker:v2", $"{host}/apps/zstd:1", $"{host}/multi/oci:1", $"{host}/multi/docker:1"]);

        var result = await Work.BuildAsync();

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains($"resolved {host}/apps/oci:1.0 to {oci.Digest}", result.Stderr);
        var unpacked = await UnpackWithTarAsync(Work.Output);

        // Every blob of the amd64 images, each once; nothing of arm64 but the index that names it.
        var expected = new[] { oci, docker, zstd }.SelectMany(i => i.AllDigests)
            .Concat([ociIndex.Digest, ociIndex.Children[0].Digest, .. ociIndex.Children[0].Blobs.Select(b => b.Digest)])
            .Concat([dockerList.Digest, dockerList.Children[0].Digest, .. dockerList.Children[0].Blobs.Select(b => b.Digest)])
            .Select(d => d.Hex).ToHashSet();
        var stored = Directory.GetFiles(Path.Combine(unpacked, "oci", "blobs", "sha256")).Select(Path.GetFileName).ToHashSet();
        Assert.Equal(expected.OrderBy(x => x), stored.OrderBy(x => x));
        Assert.DoesNotContain(ociIndex.Children[1].Digest.Hex, stored);
        var inventory = BundleReader.ReadSummary(Work.Output).Inventory;
        Assert.Single(inventory.Entries, e => e.Path == $"oci/blobs/sha256/{shared.Digest.Hex}");
        Assert.Equal(inventory.Entries.Count, inventory.Entries.Select(e => e.Path).Distinct().Count());
        foreach (var file in Directory.GetFiles(Path.Combine(unpacked, "oci", "blobs", "sha256")))
        {
            Assert.Equal(Path.GetFileName(file), Digest.Compute(File.ReadAllBytes(file)).Hex);
        }

        // skopeo reads the layout: the same manifest bytes and digests as the source registry serves.
        // (skopeo 1.9's oci: transport skips index.json entries of Docker media types, so for those
        // the layout's blob of that digest is compared instead; containerd reads both.)
        foreach (var (reference, image) in new[] { ("apps/oci:1.0", oci), ("apps/docker:v2", docker), ("apps/zstd:1", zstd), ("multi/oci:1", ociIndex), ("multi/docker:1", dockerList) })
        {
            var registryRaw = await ProcessRunner.CheckedAsync("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{host}/{reference}");
            var layoutRaw = image.MediaType.Contains("docker", StringComparison.Ordinal)
                ? File.ReadAllText(Path.Combine(unpacked, "oci", "blobs", "sha256", image.Digest.Hex))
                : await ProcessRunner.CheckedAsync("skopeo", "inspect", "--raw", $"oci:{unpacked}/oci:{host}/{reference}");
            Assert.Equal(registryRaw, layoutRaw);
            Assert.Equal(image.Digest, Digest.Compute(System.Text.Encoding.UTF8.GetBytes(layoutRaw)));
        }
        foreach (var reference in new[] { "apps/oci:1.0", "apps/zstd:1", "multi/oci:1" })
        {
            var fromLayout = await ProcessRunner.CheckedAsync("skopeo", "inspect", $"oci:{unpacked}/oci:{host}/{reference}");
            var fromRegistry = await ProcessRunner.CheckedAsync("skopeo", "inspect", "--tls-verify=false", $"docker://{host}/{reference}");
            Assert.Equal(Layers(fromRegistry), Layers(fromLayout));
            Assert.Equal("amd64", Field(fromLayout, "Architecture"));
        }
        var copied = Work["copied"];
        await ProcessRunner.CheckedAsync("skopeo", "copy", $"oci:{unpacked}/oci:{host}/multi/oci:1", $"dir:{copied}");
        Assert.True(File.Exists(Path.Combine(copied, ociIndex.Children[0].Blobs[1].Digest.Hex)));
    }

    private static List<string?> Layers(string inspectJson)
    {
        using var json = JsonDocument.Parse(inspectJson);
        return [.. json.RootElement.GetProperty("Layers").EnumerateArray().Select(l => l.GetString())];
    }

    private static string? Field(string inspectJson, string name)
    {
        using var json = JsonDocument.Parse(inspectJson);
        return json.RootElement.GetProperty(name).GetString();
    }

    [Fact]
    public async Task A_cold_build_writes_each_blob_into_the_bundle_as_it_arrives_across_parts_and_the_bytes_match_a_build_from_the_cache()
    {
        var image = TestImages.Image("one-pass", layers: 3, layerSize: 300 * 1024);
        await Pusher.PushAsync("onepass/app", "1", image);
        Work.WriteSpec([$"{Registry.Host}/onepass/app:1"]);
        Cli.AssertOk(await Work.LockAsync());

        // Parts of 200 KiB: every layer's region crosses a part boundary.
        var cold = Cli.AssertOk(await Work.BuildAsync("--locked", "--split", "200K"));
        Assert.Contains($"blobs: {image.Blobs.Count} fetched", cold.Stderr);
        Assert.Contains($"; {image.Blobs.Count} written into the bundle and the cache in one pass", cold.Stderr);
        var parts = Directory.GetFiles(Path.GetDirectoryName(Work.Output)!, Path.GetFileName(Work.Output) + ".*").Order(StringComparer.Ordinal).ToList();
        Assert.True(parts.Count > 4, $"{parts.Count} parts");
        var joined = parts.SelectMany(File.ReadAllBytes).ToArray();

        // The cache got every blob in the same pass: a second build fetches nothing and copies them into the same bytes.
        var warm = Cli.AssertOk(await Cli.BundleAsync("build", Work.Spec, "-o", Work["warm.kargo"], "--lock", Work.Lock, "--cache", Work.Cache, "--locked"));
        Assert.Contains("blobs: 0 fetched (0 bytes)", warm.Stderr);
        Assert.Equal(joined, await File.ReadAllBytesAsync(Work["warm.kargo"]));
        Cli.AssertOk(await Cli.OfflineAsync("verify", parts[0], "--insecure-skip-signature"));
    }

    [Fact]
    public async Task Two_builds_from_the_same_lock_are_byte_identical_and_the_second_fetches_nothing()
    {
        var index = TestImages.Index("repro", ManifestFormat.Oci, "amd64", "arm64");
        await Pusher.PushAsync("repro/app", "1", index);
        Work.WriteSpec([$"{Registry.Host}/repro/app:1"], "[linux/amd64, linux/arm64]");

        var first = await Work.BuildAsync();
        Assert.True(first.ExitCode == 0, first.Output);
        var firstBytes = await File.ReadAllBytesAsync(Work.Output);

        // Same cache: nothing fetched again.
        var second = await Work.BuildAsync("--locked");
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("blobs: 0 fetched (0 bytes)", second.Stderr);
        Assert.Equal(firstBytes, await File.ReadAllBytesAsync(Work.Output));

        // A new cache elsewhere: fetched again, the same bytes.
        var third = await Cli.BundleAsync("build", Work.Spec, "-o", Work["third.kargo"], "--lock", Work.Lock, "--cache", Work["cache2"], "--locked");
        Assert.True(third.ExitCode == 0, third.Output);
        Assert.Equal(firstBytes, await File.ReadAllBytesAsync(Work["third.kargo"]));
    }

    [Fact]
    public async Task Inventory_comes_first_and_lists_every_following_entry_with_size_and_sha256()
    {
        await Pusher.PushAsync("inv/app", "1", TestImages.Image("inventory"));
        Work.WriteSpec([$"{Registry.Host}/inv/app:1"]);
        Assert.Equal(0, (await Work.BuildAsync()).ExitCode);

        await using var file = File.OpenRead(Work.Output);
        using var tar = new TarReader(file);
        var first = tar.GetNextEntry()!;
        Assert.Equal(Inventory.EntryName, first.Name);
        Assert.Equal(0, first.ModificationTime.ToUnixTimeSeconds());
        var inventory = Inventory.Parse(ReadAll(first.DataStream!), "test");
        var entries = new List<(string, long, string)>();
        while (tar.GetNextEntry() is { } entry)
        {
            Assert.Equal(0, entry.Uid);
            Assert.Equal(0, entry.ModificationTime.ToUnixTimeSeconds());
            var bytes = ReadAll(entry.DataStream!);
            entries.Add((entry.Name, bytes.Length, Digest.Compute(bytes).Hex));
        }
        Assert.Equal(inventory.Entries.Select(e => (e.Path, e.Size, e.Sha256)), entries);
        Assert.Equal(["oci/oci-layout", "oci/index.json"], entries.Take(2).Select(e => e.Item1));
        Assert.Equal(["spec/test-bundle.yaml", "spec/images.lock"], entries.TakeLast(2).Select(e => e.Item1));
    }

    [Fact]
    public async Task Inspect_reports_name_version_images_digests_and_sizes()
    {
        var image = TestImages.Image("inspect");
        await Pusher.PushAsync("inspect/app", "2.0", image);
        Work.WriteSpec([$"{Registry.Host}/inspect/app:2.0"], name: "homelab", version: "0.3.1");
        Assert.Equal(0, (await Work.BuildAsync()).ExitCode);

        var text = await Cli.BundleAsync("inspect", Work.Output);
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("name:      homelab", text.Stdout);
        Assert.Contains("version:   0.3.1", text.Stdout);
        Assert.Contains(image.Digest.ToString(), text.Stdout);
        Assert.Contains("unsigned", text.Stdout);

        var json = await Cli.BundleAsync("inspect", Work.Output, "--json");
        using var document = JsonDocument.Parse(json.Stdout);
        var root = document.RootElement;
        Assert.Equal("homelab", root.GetProperty("name").GetString());
        var listed = root.GetProperty("images")[0];
        Assert.Equal($"{Registry.Host}/inspect/app:2.0", listed.GetProperty("reference").GetString());
        Assert.Equal(image.Digest.ToString(), listed.GetProperty("digest").GetString());
        Assert.Equal(image.Manifest.Length + image.Blobs.Sum(b => (long)b.Content.Length), listed.GetProperty("size").GetInt64());
        Assert.Equal(new FileInfo(Work.Output).Length, root.GetProperty("fileSize").GetInt64());
    }

    [Fact]
    public async Task Rewrite_index_keeps_only_the_spec_platforms_and_records_the_original_digest()
    {
        var index = TestImages.Index("rewrite", ManifestFormat.Docker, "amd64", "arm64", "s390x");
        await Pusher.PushAsync("rewrite/app", "1", index);
        Work.WriteSpec([$"{Registry.Host}/rewrite/app:1"]);

        var result = await Work.BuildAsync("--rewrite-index");

        Assert.True(result.ExitCode == 0, result.Output);
        var unpacked = await UnpackWithTarAsync(Work.Output);
        using var layoutIndex = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(unpacked, "oci", "index.json")));
        var entry = layoutIndex.RootElement.GetProperty("manifests")[0];
        Assert.NotEqual(index.Digest.ToString(), entry.GetProperty("digest").GetString());
        Assert.Equal(index.Digest.ToString(), entry.GetProperty("annotations").GetProperty("dev.kargo.image.original-digest").GetString());
        var rewritten = File.ReadAllBytes(Path.Combine(unpacked, "oci", "blobs", "sha256", Digest.Parse(entry.GetProperty("digest").GetString()!).Hex));
        using var rewrittenJson = JsonDocument.Parse(rewritten);
        var platforms = rewrittenJson.RootElement.GetProperty("manifests").EnumerateArray().Select(m => m.GetProperty("platform").GetProperty("architecture").GetString());
        Assert.Equal(["amd64"], platforms);
    }

    internal static byte[] ReadAll(Stream stream)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>GNU tar, not our reader, unpacks the bundle: the format is plain tar.</summary>
    private async Task<string> UnpackWithTarAsync(string bundle)
    {
        var folder = Work["unpacked-" + Guid.NewGuid().ToString("N")];
        Directory.CreateDirectory(folder);
        await ProcessRunner.CheckedAsync("tar", "-xf", bundle, "-C", folder);
        return folder;
    }
}
