using Kargo.Airgap.Oci;
using Kargo.Airgap.Spec;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Unit;

public sealed class LockFileTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static LockedImage Pin(string reference, char hex) => new()
    {
        Reference = ImageReference.Parse(reference).ToString(),
        Digest = Digest.Parse("sha256:" + new string(hex, 64)),
        MediaType = MediaTypes.OciIndex,
        Size = 100,
    };

    [Fact]
    public void Saves_sorted_and_reads_back_the_same_bytes()
    {
        var a = new LockFile();
        a.Pin(Pin("quay.io/b/c:1", 'b'));
        a.Pin(Pin("busybox:1", 'a'));
        var b = new LockFile();
        b.Pin(Pin("busybox:1", 'a'));
        b.Pin(Pin("quay.io/b/c:1", 'b'));
        Assert.Equal(a.ToBytes(), b.ToBytes());

        var path = _dir["images.lock"];
        a.Save(path);
        var loaded = LockFile.Load(path);
        Assert.Equal(a.ToBytes(), loaded.ToBytes());
        Assert.Equal(Pin("busybox:1", 'a'), loaded.Find(ImageReference.Parse("docker.io/library/busybox:1")));
    }

    [Fact]
    public void A_plus_in_a_version_stays_readable_in_the_lock()
    {
        var lockFile = new LockFile();
        lockFile.Pin(Pin("docker.io/rancher/k3s:v1.30.4-k3s1", 'a'));
        lockFile.Pin(new LockedFile { Url = "https://github.com/k3s-io/k3s/releases/download/v1.35.6+k3s1/k3s", Sha256 = new string('c', 64), Size = 10 });

        var text = System.Text.Encoding.UTF8.GetString(lockFile.ToBytes());

        Assert.Contains("v1.35.6+k3s1/k3s", text);
        Assert.DoesNotContain("\\u002B", text);
    }

    [Fact]
    public void An_image_named_by_latest_carries_a_note_written_from_its_reference_and_read_by_nothing()
    {
        var lockFile = new LockFile();
        lockFile.Pin(Pin("quay.io/kubevirt/hostpath-csi-driver:latest", 'a'));
        lockFile.Pin(Pin("busybox", 'b'));
        lockFile.Pin(Pin("busybox:1", 'c'));
        var path = _dir["images.lock"];
        lockFile.Save(path);

        using (var json = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path)))
        {
            var notes = json.RootElement.GetProperty("images").EnumerateArray()
                .ToDictionary(i => i.GetProperty("reference").GetString()!, i => i.TryGetProperty("note", out var note) ? note.GetString() : null);
            Assert.Equal(LatestTag.LockNote, notes["quay.io/kubevirt/hostpath-csi-driver:latest"]);
            Assert.Equal(LatestTag.LockNote, notes["docker.io/library/busybox:latest"]);
            Assert.Null(notes["docker.io/library/busybox:1"]);
        }
        // Read back, the note is no part of the pin; one written by hand beside a version tag is not kept.
        Assert.Equal(Pin("busybox", 'b'), LockFile.Load(path).Find(ImageReference.Parse("busybox:latest")));
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"reference\": \"docker.io/library/busybox:1\",", $"\"reference\": \"docker.io/library/busybox:1\", \"note\": \"hand-written\",", StringComparison.Ordinal));
        Assert.Contains("hand-written", File.ReadAllText(path));
        Assert.Equal(lockFile.ToBytes(), LockFile.Load(path).ToBytes());
    }

    [Fact]
    public void A_damaged_lock_names_file_and_line()
    {
        var path = _dir["images.lock"];
        File.WriteAllText(path, "{\n  \"lockVersion\": 1,\n  \"images\": [\n    {\"reference\": \"busybox:1\", \"digest\": \"sha256:nope\", \"mediaType\": \"x\", \"size\": 1}\n  ]\n}\n");

        var error = Assert.Throws<SpecException>(() => LockFile.Load(path));

        Assert.StartsWith($"{path}:4:", error.Message);
        Assert.Contains("not a valid digest", error.Message);
    }

    [Fact]
    public void A_missing_lock_tells_how_to_make_one()
    {
        var error = Assert.Throws<KargoException>(() => LockFile.Load(_dir["none.lock"]));
        Assert.Contains("kargo-bundle lock", error.Message);
    }
}
