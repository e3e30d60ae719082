namespace Kargo.Airgap.Install;

/// <summary>
/// The file system an install writes to: the node itself (/), or a folder standing in for it
/// (<c>--root DIR</c>), where files are written exactly as on a node but no command touches the host.
/// Paths are given as they are on the node (/usr/local/bin/k3s) and mapped here.
/// </summary>
public sealed class HostRoot
{
    public HostRoot(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    /// <summary>True under --root: commands are recorded, not run.</summary>
    public bool IsRecording => Root != "/";

    public const string StateFolder = "/var/lib/kargo";
    public const string RegistryFolder = "/var/lib/kargo/registry";

    /// <summary>Where a node path lives on this machine.</summary>
    public string Map(string nodePath)
    {
        if (!nodePath.StartsWith('/') || nodePath.Split('/').Contains(".."))
        {
            throw new ArgumentException($"'{nodePath}' is not an absolute node path", nameof(nodePath));
        }
        return IsRecording ? Path.Combine(Root, nodePath.TrimStart('/')) : nodePath;
    }

    /// <summary>Writes content to a node path (temp name, then rename) with the given mode.</summary>
    public void WriteFile(string nodePath, byte[] content, UnixFileMode mode)
    {
        var path = Map(nodePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllBytes(path, content, mode);
    }

    /// <summary>Copies a file to a node path (temp name, then rename) with the given mode; unchanged files are left alone.</summary>
    /// <returns>False when the target already had the same content.</returns>
    public bool CopyFile(string source, string nodePath, UnixFileMode mode)
    {
        var path = Map(nodePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (SameContent(source, path))
        {
            File.SetUnixFileMode(path, mode);
            return false;
        }
        AtomicFile.Copy(source, path, mode);
        return true;
    }

    public static bool SameContent(string a, string b)
    {
        var target = new FileInfo(b);
        if (!target.Exists || target.Length != new FileInfo(a).Length)
        {
            return false;
        }
        return Oci.Digest.ComputeFile(a) == Oci.Digest.ComputeFile(b);
    }

    public const UnixFileMode Executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    public const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
}
