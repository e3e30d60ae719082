using System.Diagnostics;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>Interrupted downloads: a killed build and a dropped connection both resume with HTTP Range.</summary>
public sealed class ResumeTests : RegistryTest
{
    private const int LayerSize = 24 << 20;

    [Fact]
    public async Task A_build_killed_mid_download_resumes_fetching_only_what_was_missing_and_gives_the_same_bytes()
    {
        var image = TestImages.Image("killed", layers: 1, layerSize: LayerSize, compression: LayerCompression.Zstd);
        await Pusher.PushAsync("big/app", "1", image);
        var layer = image.Blobs[^1];
        using var proxy = new ThrottlingProxy(Registry.Host) { BytesPerSecond = 4 << 20 };
        // The spec names the registry through the slow proxy; the lock pins it first.
        Work.WriteSpec([$"{proxy.Host}/big/app:1"]);
        AssertOk(await Work.LockAsync());

        var partial = Path.Combine(Work.Cache, "ingest", layer.Digest.Hex + ".partial");
        using (var build = StartBuildProcess())
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!(File.Exists(partial) && new FileInfo(partial).Length > 2 << 20) && DateTime.UtcNow < deadline && !build.HasExited)
            {
                await Task.Delay(50);
            }
            Assert.False(build.HasExited, "the build ended before it could be killed");
            build.Kill(); // SIGKILL: no cleanup runs
            await build.WaitForExitAsync();
        }
        var kept = new FileInfo(partial).Length;
        Assert.InRange(kept, 1, layer.Content.Length - 1);
        Assert.False(File.Exists(Work.Output));
        string[] Leftovers() => Directory.GetFiles(Path.GetDirectoryName(Work.Output)!, $".{Path.GetFileName(Work.Output)}*.tmp");
        Assert.NotEmpty(Leftovers()); // the killed build's half-written bundle

        proxy.BytesPerSecond = 0;
        var resumed = await Work.BuildAsync("--locked");

        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Contains($"resumed {layer.Digest} at byte ", resumed.Stderr);
        Assert.Empty(Leftovers());
        var fetched = long.Parse(System.Text.RegularExpressions.Regex.Match(resumed.Stderr, @"blobs: \d+ fetched \((\d+) bytes\)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(fetched < layer.Content.Length, $"fetched {fetched} bytes again, the layer has {layer.Content.Length}");
        Assert.True(fetched <= layer.Content.Length - kept + image.Blobs[0].Content.Length);

        var clean = await Cli.BundleAsync("build", Work.Spec, "-o", Work["clean.kargo"], "--lock", Work.Lock, "--cache", Work["clean-cache"], "--locked");
        Assert.True(clean.ExitCode == 0, clean.Output);
        Assert.Equal(File.ReadAllBytes(Work["clean.kargo"]), File.ReadAllBytes(Work.Output));
    }

    [Fact]
    public async Task A_connection_dropped_mid_blob_is_resumed_with_a_range_request()
    {
        var image = TestImages.Image("dropped", layers: 1, layerSize: 4 << 20);
        await Pusher.PushAsync("drop/app", "1", image);
        var layer = image.Blobs[^1];
        using var proxy = new ThrottlingProxy(Registry.Host);
        Work.WriteSpec([$"{proxy.Host}/drop/app:1"]);
        AssertOk(await Work.LockAsync());

        using var dropping = new ThrottlingProxy(Registry.Host, dropOnceAfterBytes: 1 << 20);
        var spec = File.ReadAllText(Work.Spec).Replace(proxy.Host, dropping.Host, StringComparison.Ordinal);
        File.WriteAllText(Work.Spec, spec);
        var result = await Work.BuildAsync("--parallel", "1");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains($"resumed {layer.Digest} at byte ", result.Stderr);
        // Every byte crossed the wire once: the second request asked only for the rest.
        Assert.Contains($"blobs: 2 fetched ({image.Blobs.Sum(b => (long)b.Content.Length)} bytes)", result.Stderr);
        var unpackedLayer = Path.Combine(Work.Cache, "blobs", "sha256", layer.Digest.Hex);
        Assert.Equal(layer.Content, File.ReadAllBytes(unpackedLayer));
    }

    [Fact]
    public async Task Two_builds_sharing_a_cold_cache_wait_for_each_others_blobs_and_write_the_same_bundle()
    {
        var image = TestImages.Image("shared-cache", layers: 2, layerSize: 6 << 20, compression: LayerCompression.Zstd);
        await Pusher.PushAsync("shared/app", "1", image);
        using var proxy = new ThrottlingProxy(Registry.Host) { BytesPerSecond = 8 << 20 };
        Work.WriteSpec([$"{proxy.Host}/shared/app:1"]);
        AssertOk(await Work.LockAsync());

        var errors = new[] { new System.Text.StringBuilder(), new System.Text.StringBuilder() };
        using var first = StartBuildProcess(Work["first.kargo"], errors[0]);
        using var second = StartBuildProcess(Work["second.kargo"], errors[1]);
        await Task.WhenAll(first.WaitForExitAsync(), second.WaitForExitAsync());

        Assert.True(first.ExitCode == 0, errors[0].ToString());
        Assert.True(second.ExitCode == 0, errors[1].ToString());
        Assert.Equal(File.ReadAllBytes(Work["first.kargo"]), File.ReadAllBytes(Work["second.kargo"]));
        Assert.Empty(Directory.GetFiles(Path.Combine(Work.Cache, "ingest")));
    }

    private Process StartBuildProcess(string? output = null, System.Text.StringBuilder? stderr = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "kargo-bundle.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { dll, "build", Work.Spec, "-o", output ?? Work.Output, "--lock", Work.Lock, "--cache", Work.Cache, "--locked" })
        {
            info.ArgumentList.Add(arg);
        }
        var process = Process.Start(info)!;
        process.ErrorDataReceived += (_, e) =>
        {
            lock (process)
            {
                stderr?.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
