namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// kargo-offline published by scripts/publish.sh as a self-contained single file for linux-x64,
/// once for a test class, and a PATH of the few tools a bare node has, without dotnet.
/// </summary>
public sealed class PublishedOffline : IAsyncLifetime
{
    private readonly TempDir _dir = new();

    /// <summary>The folder laid out as kargo-bundle --offline-bin expects (linux-x64/kargo-offline).</summary>
    public string Folder => _dir["bin"];
    public string Binary => _dir["bin/linux-x64/kargo-offline"];

    /// <summary>A PATH holding sh, tar, openssl and the coreutils install.sh uses, and no dotnet.</summary>
    public string BarePath => _dir["path"];

    public static string RepositoryRoot
    {
        get
        {
            var folder = new DirectoryInfo(AppContext.BaseDirectory);
            while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Kargo.Airgap.sln")))
            {
                folder = folder.Parent;
            }
            return folder?.FullName ?? throw new InvalidOperationException("the tests do not run inside the repository");
        }
    }

    public async Task InitializeAsync()
    {
        var publish = await ProcessRunner.RunAsync("bash", [Path.Combine(RepositoryRoot, "scripts/publish.sh"), "linux-x64"],
            new Dictionary<string, string> { ["KARGO_PUBLISH_DIR"] = Folder, ["KARGO_PUBLISH_PROGRAMS"] = "Kargo.Offline" }, TimeSpan.FromMinutes(10));
        if (publish.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/publish.sh failed: {publish.Output}");
        }
        Directory.CreateDirectory(BarePath);
        foreach (var tool in new[] { "sh", "tar", "openssl", "base64", "sha256sum", "grep", "sed", "cut", "mktemp", "uname", "cat", "rm", "chmod", "dirname" })
        {
            var found = new[] { "/usr/bin", "/bin" }.Select(d => Path.Combine(d, tool)).First(File.Exists);
            File.CreateSymbolicLink(Path.Combine(BarePath, tool), found);
        }
    }

    /// <summary>Runs a program with nothing of the caller's environment but this bare PATH.</summary>
    public Task<ProcessResult> RunBareAsync(string program, params string[] args) =>
        ProcessRunner.RunAsync("env", ["-i", $"PATH={BarePath}", "HOME=/root", program, .. args], timeout: TimeSpan.FromMinutes(5));

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }
}
