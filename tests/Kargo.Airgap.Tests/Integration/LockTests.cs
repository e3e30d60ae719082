using Kargo.Airgap.Spec;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>lock pins tags; build --locked never re-resolves; build without it fills gaps and says so.</summary>
public sealed class LockTests : IDisposable
{
    private readonly TestRegistry _registry = new();
    private readonly TestPusher _pusher;
    private readonly Workspace _work = new();

    public LockTests()
    {
        _pusher = new TestPusher(_registry);
    }

    public void Dispose()
    {
        _pusher.Dispose();
        _registry.Dispose();
        _work.Dispose();
    }

    [Fact]
    public async Task Lock_pins_tags_and_locked_build_keeps_them_when_the_tag_moves()
    {
        var first = TestImages.Image("moving-1");
        await _pusher.PushAsync("moving/app", "stable", first);
        _work.WriteSpec([$"{_registry.Host}/moving/app:stable"]);

        var locked = await _work.LockAsync();
        Assert.True(locked.ExitCode == 0, locked.Output);
        Assert.Contains($"{_registry.Host}/moving/app:stable {first.Digest} (new)", locked.Stdout);
        Assert.Equal(first.Digest, LockFile.Load(_work.Lock).Images.Single().Digest);

        // The tag moves upstream; a --locked build still takes what the lock pinned.
        var second = TestImages.Image("moving-2");
        await _pusher.PushAsync("moving/app", "stable", second);
        var tagRequests = await _registry.RequestCountAsync("/manifests/stable");
        Assert.True(tagRequests >= 1, "the access log shows the lock's request");
        var build = await _work.BuildAsync("--locked");
        Assert.True(build.ExitCode == 0, build.Output);
        var inventory = Kargo.Airgap.Bundle.BundleReader.ReadSummary(_work.Output).Inventory;
        Assert.Equal(first.Digest, inventory.Images.Single().Digest);
        Assert.Equal(tagRequests, await _registry.RequestCountAsync("/manifests/stable"));

        // lock again: the moved tag is pinned anew and reported as changed.
        var relock = await _work.LockAsync();
        Assert.Contains($"{second.Digest} (was {first.Digest})", relock.Stdout);
    }

    [Fact]
    public async Task Locked_build_fails_on_anything_the_lock_does_not_pin()
    {
        await _pusher.PushAsync("a/app", "1", TestImages.Image("a"));
        await _pusher.PushAsync("b/app", "1", TestImages.Image("b"));
        _work.WriteSpec([$"{_registry.Host}/a/app:1"]);
        AssertOk(await _work.LockAsync());
        _work.WriteSpec([$"{_registry.Host}/a/app:1", $"{_registry.Host}/b/app:1"]);
        var lockBefore = File.ReadAllBytes(_work.Lock);

        var result = await _work.BuildAsync("--locked");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"does not pin {_registry.Host}/b/app:1 ({_work.Spec}:10)", result.Stderr);
        Assert.Contains("kargo-bundle lock", result.Stderr);
        Assert.False(File.Exists(_work.Output));
        Assert.Equal(lockBefore, File.ReadAllBytes(_work.Lock));
    }

    [Fact]
    public async Task Unlocked_build_resolves_only_what_is_missing_and_records_it()
    {
        var a = TestImages.Image("fill-a");
        var b = TestImages.Image("fill-b");
        await _pusher.PushAsync("fill/a", "1", a);
        await _pusher.PushAsync("fill/b", "1", b);
        _work.WriteSpec([$"{_registry.Host}/fill/a:1"]);
        AssertOk(await _work.LockAsync());
        _work.WriteSpec([$"{_registry.Host}/fill/a:1", $"{_registry.Host}/fill/b:1"]);
        var tagRequestsBefore = await _registry.RequestCountAsync("/fill/a/manifests/1");
        Assert.True(tagRequestsBefore >= 1, "the access log shows the lock's request");

        var result = await _work.BuildAsync();

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains($"resolved {_registry.Host}/fill/b:1 to {b.Digest}", result.Stderr);
        Assert.DoesNotContain("fill/a:1 to", result.Stderr);
        Assert.Equal(tagRequestsBefore, await _registry.RequestCountAsync("/fill/a/manifests/1"));
        Assert.Equal([a.Digest, b.Digest], LockFile.Load(_work.Lock).Images.Select(i => i.Digest));
    }

    [Fact]
    public async Task A_reference_pinned_by_digest_needs_no_lock_entry()
    {
        var image = TestImages.Image("by-digest");
        await _pusher.PushAsync("digest/app", "1", image);
        _work.WriteSpec([$"{_registry.Host}/digest/app@{image.Digest}"]);
        File.WriteAllText(_work.Lock, "{\"lockVersion\": 1, \"images\": []}");

        var result = await _work.BuildAsync("--locked");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal(image.Digest, Kargo.Airgap.Bundle.BundleReader.ReadSummary(_work.Output).Inventory.Images.Single().Digest);
    }
}
