namespace Kargo.Airgap;

/// <summary>Writes a file under a temporary name beside it, then renames it into place.</summary>
public static class AtomicFile
{
    public static string TempPathFor(string path) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");

    public const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <param name="path">The file.</param>
    /// <param name="content">Its bytes.</param>
    /// <param name="mode">Its mode from the moment it exists (a secret is never readable by others, not even briefly); the process umask still applies.</param>
    public static void WriteAllBytes(string path, byte[] content, UnixFileMode mode = Readable) => Write(path, stream => stream.Write(content), mode);

    /// <summary>A copy of <paramref name="source"/>, streamed, with the same guarantees.</summary>
    public static void Copy(string source, string path, UnixFileMode mode = Readable) => Write(path, stream =>
    {
        using var input = File.OpenRead(source);
        input.CopyTo(stream);
    }, mode);

    private static void Write(string path, Action<Stream> write, UnixFileMode mode)
    {
        var temp = TempPathFor(path);
        try
        {
            using (var stream = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode }))
            {
                write(stream);
            }
            // The umask may have taken bits the mode asks for (an executable's): set it exactly before the rename.
            File.SetUnixFileMode(temp, mode);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
