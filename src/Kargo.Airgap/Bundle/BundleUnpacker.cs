using System.Text.Json;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Bundle;

/// <summary>
/// <c>kargo-offline unpack</c>: verified extraction into a folder that may already hold earlier
/// bundles. Every entry is staged inside the folder while the bundle streams; only when the whole
/// bundle has verified do the files move to their places, so a bad bundle leaves nothing behind.
/// Blobs already present are shared by digest; <c>oci/index.json</c> is merged, an image's new entry
/// replacing only the entry of the same name. Inventory and signature are kept in
/// <c>bundles/NAME-VERSION/</c>, beside the spec and lock the bundle was built from.
/// </summary>
public sealed class BundleUnpacker : IEntrySink, IDisposable
{
    private readonly string _root;
    private readonly string _staging;
    private readonly Dictionary<string, string> _staged = new(StringComparer.Ordinal);
    private readonly List<InventoryEntry> _accepted = [];
    private readonly FileStream _lock;
    private readonly Func<string, bool> _include;

    private const string StagingPrefix = ".kargo-staging-";
    private const string LockName = ".lock";

    private BundleUnpacker(string root, Func<string, bool>? include)
    {
        _include = include ?? (_ => true);
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
        RemoveAbandonedStaging(_root);
        _staging = Path.Combine(_root, $"{StagingPrefix}{Guid.NewGuid():N}");
        Directory.CreateDirectory(_staging);
        // Held while this unpack runs: a staging folder whose lock nobody holds was left by a killed run.
        _lock = new FileStream(Path.Combine(_staging, LockName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
    }

    /// <summary>Removes staging folders of unpacks that were killed (their lock is free); running ones stay.</summary>
    private static void RemoveAbandonedStaging(string root)
    {
        foreach (var folder in Directory.EnumerateFileSystemEntries(root, StagingPrefix + "*"))
        {
            if (new FileInfo(folder).LinkTarget is not null)
            {
                // Not ours, whatever it points at: remove the name, never follow it.
                File.Delete(folder);
                continue;
            }
            if (!Directory.Exists(folder))
            {
                continue;
            }
            try
            {
                using (new FileStream(Path.Combine(folder, LockName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
                {
                }
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Another unpack is using it.
            }
        }
    }

    /// <param name="bundle">The bundle file, its first part, or its base name.</param>
    /// <param name="trusted">The keys to trust; null skips the signature check.</param>
    /// <param name="destination">The folder to unpack into.</param>
    /// <param name="cancellationToken">Stops between entries; nothing is placed.</param>
    /// <param name="include">Which entry paths to place (all when null); the others are still verified.</param>
    /// <param name="phases">Where the "verify" phase reports the bytes checked and placed.</param>
    public static VerifyReport Unpack(string bundle, TrustedKeys? trusted, string destination, CancellationToken cancellationToken = default, Func<string, bool>? include = null, IPhaseProgress? phases = null)
    {
        // A bundle by difference needs its base in place: checked before anything is written.
        var head = BundleVerifier.VerifyHead(bundle, trusted);
        if (head.Ok && head.Inventory!.Base is { } diffBase && DiffBase.MissingFrom(Path.GetFullPath(destination), diffBase) is { } missing)
        {
            return head with { Failures = [new VerifyFailure("base", missing)] };
        }
        using var unpacker = new BundleUnpacker(destination, include);
        var report = BundleVerifier.Verify(bundle, trusted, unpacker, cancellationToken, phases);
        if (report.Ok)
        {
            unpacker.Commit(report);
        }
        return report;
    }

    public Stream? Open(InventoryEntry entry)
    {
        if (!_include(entry.Path))
        {
            return null;
        }
        if (entry.Path.StartsWith("oci/blobs/", StringComparison.Ordinal))
        {
            var existing = new FileInfo(FinalPath(entry.Path));
            // Content-addressed, so a blob in place is kept: once its bytes are checked, since a disk can change them.
            if (existing.Exists && existing.Length == entry.Size && existing.LinkTarget is null && Digest.ComputeFile(existing.FullName).Hex == entry.Sha256)
            {
                return null;
            }
        }
        var staged = Path.Combine(_staging, "entry-" + _staged.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _staged[entry.Path] = staged;
        return new FileStream(staged, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
    }

    public void Accept(InventoryEntry entry) => _accepted.Add(entry);

    public void Reject(InventoryEntry entry)
    {
        if (_staged.Remove(entry.Path, out var staged))
        {
            File.Delete(staged);
        }
    }

    private void Commit(VerifyReport report)
    {
        var inventory = report.Inventory!;
        var record = Path.Combine("bundles", $"{inventory.Name}-{inventory.Version}");
        // Every path is checked before the first is placed: a link found half-way would leave half a bundle.
        foreach (var entry in _accepted.Where(e => _staged.ContainsKey(e.Path)))
        {
            FinalPath(BundleLayout.IsIn(entry.Path, BundleLayout.SpecFolder) ? Path.Combine(record, entry.Path) : entry.Path);
        }
        FinalPath(Path.Combine(record, Inventory.EntryName));
        foreach (var entry in _accepted)
        {
            if (!_staged.TryGetValue(entry.Path, out var staged))
            {
                continue;
            }
            switch (entry.Path)
            {
                case BundleLayout.OciIndex:
                    MergeIndex(staged);
                    break;
                case BundleLayout.OciLayoutFile when File.Exists(FinalPath(entry.Path)):
                    break;
                default:
                    var relative = BundleLayout.IsIn(entry.Path, BundleLayout.SpecFolder) ? Path.Combine(record, entry.Path) : entry.Path;
                    MoveIntoPlace(staged, relative);
                    break;
            }
        }
        WriteIntoPlace(Path.Combine(record, Inventory.EntryName), report.InventoryBytes!);
        if (report.SignatureBytes is { } signature)
        {
            WriteIntoPlace(Path.Combine(record, Inventory.SignatureEntryName), signature);
        }
    }

    private void MergeIndex(string staged)
    {
        var incoming = ReadIndex(staged);
        var target = FinalPath(BundleLayout.OciIndex);
        var existing = File.Exists(target) ? ReadIndex(target) : new OciIndexJson();
        var names = incoming.Manifests.Select(RefName).Where(n => n is not null).ToHashSet(StringComparer.Ordinal);
        var kept = existing.Manifests.Where(m => RefName(m) is not { } name ? !incoming.Manifests.Any(i => i.Digest == m.Digest) : !names.Contains(name));
        var merged = new OciIndexJson { Manifests = [.. kept.Concat(incoming.Manifests).OrderBy(m => RefName(m) ?? m.Digest.ToString(), StringComparer.Ordinal)] };
        WriteIntoPlace(BundleLayout.OciIndex, JsonSerializer.SerializeToUtf8Bytes(merged, OciJsonContext.Default.OciIndexJson));
    }

    private static OciIndexJson ReadIndex(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), OciJsonContext.Default.OciIndexJson) ?? new OciIndexJson();
        }
        catch (JsonException e)
        {
            throw new KargoException($"{path} is not a valid OCI index: {e.Message}", e);
        }
    }

    private static string? RefName(Descriptor descriptor) =>
        descriptor.Annotations is { } annotations && annotations.TryGetValue(Annotations.RefName, out var name) ? name : null;

    private void MoveIntoPlace(string staged, string relative)
    {
        var final = FinalPath(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        File.Move(staged, final, overwrite: true);
    }

    private void WriteIntoPlace(string relative, byte[] content)
    {
        var final = FinalPath(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        AtomicFile.WriteAllBytes(final, content);
    }

    /// <summary>
    /// The path under the destination, refusing any folder on the way (or the file itself) that is
    /// a symbolic link: a link could lead the write outside the destination.
    /// </summary>
    private string FinalPath(string relative)
    {
        var current = _root;
        foreach (var segment in relative.Split('/', '\\'))
        {
            current = Path.Combine(current, segment);
            var info = new FileInfo(current);
            if ((info.Exists || Directory.Exists(current)) && info.LinkTarget is not null)
            {
                throw new KargoException($"{current} is a symbolic link; refusing to write through it into {_root}");
            }
        }
        return current;
    }

    public void Dispose()
    {
        _lock.Dispose();
        try
        {
            Directory.Delete(_staging, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
