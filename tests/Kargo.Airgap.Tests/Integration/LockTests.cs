using Kargo.Airgap.Spec;
using Kargo.Airgap.Tests.Infrastructure;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>lock pins tags; build --locked never re-resolves; build without it fills gaps and says so.</summary>
public sealed class LockTests : RegistryTest
{
    [Fact]
    public async Task Lock_pins_tags_and_locked_build_keeps_them_when_the_tag_moves()
    {
        var first = TestImages.Image("moving-1");
        await Pusher.PushAsync("moving/app", "stable", first);
        Work.WriteSpec([$"{Registry.Host}/moving/app:stable"]);

        var locked = await Work.LockAsync();
        Assert.True(locked.ExitCode == 0, locked.Output);
        Assert.Contains($"{Registry.Host}/moving/app:stable {first.Digest} (new)", locked.Stdout);
        Assert.Equal(first.Digest, LockFile.Load(Work.Lock).Images.Single().Digest);

        // The tag moves upstream; a --locked build still takes what the lock pinned.
        var second = TestImages.Image("moving-2");
        await Pusher.PushAsync("moving/app", "stable", second);
        var tagRequests = await Registry.RequestCountAsync("/manifests/stable");
        Assert.True(tagRequests >= 1, "the access log shows the lock's request");
        var build = await Work.BuildAsync("--locked");
        Assert.True(build.ExitCode == 0, build.Output);
        var inventory = Kargo.Airgap.Bundle.BundleReader.ReadSummary(Work.Output).Inventory;
        Assert.Equal(first.Digest, inventory.Images.Single().Digest);
        Assert.Equal(tagRequests, await Registry.RequestCountAsync("/manifests/stable"));

        // lock again: the moved tag is pinned anew and reported as changed.
        var relock = await Work.LockAsync();
        Assert.Contains($"{second.Digest} (was {first.Digest})", relock.Stdout);
    }

    [Fact]
    public async Task Locked_build_fails_on_anything_the_lock_does_not_pin()
    {
        await Pusher.PushAsync("a/app", "1", TestImages.Image("a"));
        await Pusher.PushAsync("b/app", "1", TestImages.Image("b"));
        Work.WriteSpec([$"{Registry.Host}/a/app:1"]);
        AssertOk(await Work.LockAsync());
        Work.WriteSpec([$"{Registry.Host}/a/app:1", $"{Registry.Host}/b/app:1"]);
        var lockBefore = File.ReadAllBytes(Work.Lock);

        var result = await Work.BuildAsync("--locked");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"does not pin 1 of what the spec needs:\n  {Registry.Host}/b/app:1 ({Work.Spec}:10)\n", result.Stderr);
        Assert.Contains("kargo-bundle lock", result.Stderr);
        Assert.False(File.Exists(Work.Output));
        Assert.Equal(lockBefore, File.ReadAllBytes(Work.Lock));
    }

    [Fact]
    public async Task Unlocked_build_resolves_only_what_is_missing_and_records_it()
    {
        var a = TestImages.Image("fill-a");
        var b = TestImages.Image("fill-b");
        await Pusher.PushAsync("fill/a", "1", a);
        await Pusher.PushAsync("fill/b", "1", b);
        Work.WriteSpec([$"{Registry.Host}/fill/a:1"]);
        AssertOk(await Work.LockAsync());
        Work.WriteSpec([$"{Registry.Host}/fill/a:1", $"{Registry.Host}/fill/b:1"]);
        var tagRequestsBefore = await Registry.RequestCountAsync("/fill/a/manifests/1");
        Assert.True(tagRequestsBefore >= 1, "the access log shows the lock's request");

        var result = await Work.BuildAsync();

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains($"resolved {Registry.Host}/fill/b:1 to {b.Digest}", result.Stderr);
        Assert.DoesNotContain("fill/a:1 to", result.Stderr);
        Assert.Equal(tagRequestsBefore, await Registry.RequestCountAsync("/fill/a/manifests/1"));
        Assert.Equal([a.Digest, b.Digest], LockFile.Load(Work.Lock).Images.Select(i => i.Digest));
    }

    [Fact]
    public async Task A_reference_pinned_by_digest_needs_no_lock_entry()
    {
        var image = TestImages.Image("by-digest");
        await Pusher.PushAsync("digest/app", "1", image);
        Work.WriteSpec([$"{Registry.Host}/digest/app@{image.Digest}"]);
        File.WriteAllText(Work.Lock, "{\"lockVersion\": 1, \"images\": []}");

        var result = await Work.BuildAsync("--locked");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal(image.Digest, Kargo.Airgap.Bundle.BundleReader.ReadSummary(Work.Output).Inventory.Images.Single().Digest);
    }

    [Fact]
    public async Task Lock_pins_an_image_named_by_latest_and_warns_naming_the_image_the_manifest_and_where()
    {
        // As hostpath-provisioner-operator v0.25.2's published operator.yaml names its own images (its release.sh's sed never matched).
        var driver = TestImages.Image("latest-driver");
        var plain = TestImages.Image("latest-plain");
        var pinned = TestImages.Image("latest-pinned");
        await Pusher.PushAsync("hpp/csi-driver", "latest", driver);
        await Pusher.PushAsync("plain/app", "latest", plain);
        await Pusher.PushAsync("pinned/app", "v1", pinned);
        File.WriteAllText(Work["hpp-operator.yaml"], $"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {"{"}name: hostpath-provisioner-operator, namespace: hostpath-provisioner{"}"}
            spec:
              template:
                spec:
                  containers:
                  - name: hostpath-provisioner-operator
                    image: {Registry.Host}/pinned/app:v1
                    env:
                    - {"{"}name: CSI_PROVISIONER_IMAGE, value: "{Registry.Host}/hpp/csi-driver:latest"{"}"}
            """);
        File.WriteAllText(Work.Spec, $"""
            kind: Bundle
            metadata: {"{"}name: latest, version: "1"{"}"}
            spec:
              images:
                - {Registry.Host}/plain/app
              manifests:
                - hpp-operator.yaml
            """);

        var locked = AssertOk(await Work.LockAsync());

        Assert.Contains($"{Registry.Host}/hpp/csi-driver:latest {driver.Digest} (new, found by", locked.Stdout);
        Assert.Contains($"warning: {Registry.Host}/hpp/csi-driver:latest (manifests/hpp-operator.yaml: Deployment hostpath-provisioner-operator, container hostpath-provisioner-operator, variable CSI_PROVISIONER_IMAGE) " +
            "is named by the tag latest (or by no tag, which means latest): the digest pinned is whatever latest pointed to on the day of this lock, not the release's own build\n", locked.Stderr);
        Assert.Contains($"warning: {Registry.Host}/plain/app:latest ({Work.Spec}:5) is named by the tag latest", locked.Stderr);
        Assert.DoesNotContain("pinned/app:v1 (", locked.Stderr);
        Assert.Equal([driver.Digest, pinned.Digest, plain.Digest], LockFile.Load(Work.Lock).Images.Select(i => i.Digest));

        // The lock file says so beside each such pin, and only there.
        using (var lockJson = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Work.Lock)))
        {
            var notes = lockJson.RootElement.GetProperty("images").EnumerateArray()
                .ToDictionary(i => i.GetProperty("reference").GetString()!, i => i.TryGetProperty("note", out var note) ? note.GetString() : null);
            Assert.Equal(LatestTag.LockNote, notes[$"{Registry.Host}/hpp/csi-driver:latest"]);
            Assert.Equal(LatestTag.LockNote, notes[$"{Registry.Host}/plain/app:latest"]);
            Assert.Null(notes[$"{Registry.Host}/pinned/app:v1"]);
        }

        // --json carries the warning; --plan marks the images.
        using (var json = System.Text.Json.JsonDocument.Parse(AssertOk(await Work.LockAsync("--json")).Stdout))
        {
            var warnings = json.RootElement.EnumerateArray()
                .ToDictionary(c => c.GetProperty("reference").GetString()!, c => c.TryGetProperty("warning", out var w) ? w.GetString() : null);
            Assert.Contains("manifests/hpp-operator.yaml", warnings[$"{Registry.Host}/hpp/csi-driver:latest"]);
            Assert.Null(warnings[$"{Registry.Host}/pinned/app:v1"]);
        }
        var plan = AssertOk(await Work.LockAsync("--plan")).Stdout;
        Assert.Contains($"  {Registry.Host}/hpp/csi-driver:latest  (image-variable: manifests/hpp-operator.yaml: Deployment hostpath-provisioner-operator, container hostpath-provisioner-operator, variable CSI_PROVISIONER_IMAGE)  [tag latest]\n", plan);
        Assert.Contains($"  {Registry.Host}/pinned/app:v1  (container-image: manifests/hpp-operator.yaml: Deployment hostpath-provisioner-operator, container hostpath-provisioner-operator)\n", plan);
        Assert.Contains("[tag latest]: named by the tag latest (or by no tag, which means latest); lock pins whatever latest points to on the day of the lock", plan);
    }
}
