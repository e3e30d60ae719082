using Kargo.Airgap.Oci;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Unit;

public sealed class OciLayoutTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static byte[] Content(int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        return bytes;
    }

    private static OpenBlobAt Serve(byte[] content, List<long>? offsets = null, bool honourRange = true) => (offset, _) =>
    {
        offsets?.Add(offset);
        var start = honourRange ? offset : 0;
        return Task.FromResult(new BlobStream(new MemoryStream(content, (int)start, content.Length - (int)start), start));
    };

    [Fact]
    public async Task Writes_a_verified_blob_into_place()
    {
        var layout = new OciLayout(_dir.Path).EnsureCreated();
        var content = Content(3 << 20);
        var descriptor = new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = Digest.Compute(content), Size = content.Length };

        var result = await layout.WriteBlobAsync(descriptor, Serve(content), null, default);

        Assert.Equal(content.Length, result.BytesTransferred);
        Assert.Equal(content, File.ReadAllBytes(layout.BlobPath(descriptor.Digest)));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "oci-layout")));
        Assert.Equal(default, await layout.WriteBlobAsync(descriptor, Serve(content), null, default));
    }

    [Fact]
    public async Task Resumes_a_partial_download_from_where_it_stopped()
    {
        var layout = new OciLayout(_dir.Path).EnsureCreated();
        var content = Content(2 << 20);
        var descriptor = new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = Digest.Compute(content), Size = content.Length };
        Directory.CreateDirectory(Path.Combine(_dir.Path, "ingest"));
        File.WriteAllBytes(Path.Combine(_dir.Path, "ingest", descriptor.Digest.Hex + ".partial"), content[..700_000]);
        var offsets = new List<long>();

        var result = await layout.WriteBlobAsync(descriptor, Serve(content, offsets), null, default);

        Assert.Equal([700_000L], offsets);
        Assert.Equal(700_000, result.ResumedFrom);
        Assert.Equal(content.Length - 700_000, result.BytesTransferred);
        Assert.Equal(content, File.ReadAllBytes(layout.BlobPath(descriptor.Digest)));
    }

    [Fact]
    public async Task Starts_over_when_the_server_ignores_the_range()
    {
        var layout = new OciLayout(_dir.Path).EnsureCreated();
        var content = Content(1 << 20);
        var descriptor = new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = Digest.Compute(content), Size = content.Length };
        Directory.CreateDirectory(Path.Combine(_dir.Path, "ingest"));
        File.WriteAllBytes(Path.Combine(_dir.Path, "ingest", descriptor.Digest.Hex + ".partial"), content[..1000]);

        await layout.WriteBlobAsync(descriptor, Serve(content, honourRange: false), null, default);

        Assert.Equal(content, File.ReadAllBytes(layout.BlobPath(descriptor.Digest)));
    }

    [Fact]
    public async Task Refuses_bytes_that_do_not_match_and_keeps_nothing()
    {
        var layout = new OciLayout(_dir.Path).EnsureCreated();
        var content = Content(100_000);
        var descriptor = new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = Digest.Compute(content), Size = content.Length };
        var altered = (byte[])content.Clone();
        altered[5000] ^= 0xff;

        var error = await Assert.ThrowsAsync<DigestMismatchException>(() => layout.WriteBlobAsync(descriptor, Serve(altered), null, default));

        Assert.Equal(descriptor.Digest, error.Expected);
        Assert.False(File.Exists(layout.BlobPath(descriptor.Digest)));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "ingest", descriptor.Digest.Hex + ".partial")));
    }

    [Fact]
    public async Task Refuses_more_bytes_than_the_descriptor_declares()
    {
        var layout = new OciLayout(_dir.Path).EnsureCreated();
        var content = Content(10_000);
        var descriptor = new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = Digest.Compute(content[..5000]), Size = 5000 };

        var error = await Assert.ThrowsAsync<KargoException>(() => layout.WriteBlobAsync(descriptor, Serve(content), null, default));

        Assert.Contains("more than the 5000 bytes", error.Message);
        Assert.False(File.Exists(layout.BlobPath(descriptor.Digest)));
    }

    [Fact]
    public async Task Content_made_here_is_stored_by_its_digest_and_found_again_by_what_it_was_made_from()
    {
        var layout = new OciLayout(_dir.Path).EnsureCreated();
        var content = Content(2 << 20);
        Assert.Null(layout.Derived("disk-abc", "application/x-test"));

        var made = await layout.PutBlobAsync("application/x-test", (target, token) => target.WriteAsync(content, token).AsTask(), default);
        layout.RememberDerived("disk-abc", made.Digest);

        Assert.Equal(Digest.Compute(content), made.Digest);
        Assert.Equal(content.Length, made.Size);
        Assert.Equal(content, layout.ReadBlob(made.Digest));
        Assert.Equal(made, layout.Derived("disk-abc", "application/x-test"));
        Assert.Throws<ArgumentException>(() => layout.RememberDerived("../escape", made.Digest));

        // A blob removed from the cache is made again, not trusted from the note.
        File.Delete(layout.BlobPath(made.Digest));
        Assert.Null(layout.Derived("disk-abc", "application/x-test"));
    }

    [Fact]
    public async Task A_producer_that_fails_midway_leaves_no_blob_and_no_temporary_file()
    {
        var layout = new OciLayout(_dir.Path).EnsureCreated();

        await Assert.ThrowsAsync<IOException>(() => layout.PutBlobAsync("application/x-test", async (target, token) =>
        {
            await target.WriteAsync(Content(4096), token);
            throw new IOException("the disk went away");
        }, default));

        Assert.Empty(Directory.GetFiles(_dir["blobs/sha256"]));
        Assert.Empty(Directory.GetFiles(_dir["ingest"]));
    }
}
