using System.Diagnostics;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// podman's Docker-compatible API service (the real one, not a double), its storage in a temp
/// folder (vfs driver, cgroupfs, file events: what works as root in this sandbox).
/// </summary>
public sealed class TestPodman : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Process _process;

    public Uri Endpoint => new("unix://" + _dir["podman.sock"]);

    /// <param name="insecureRegistries">Plain-HTTP registries podman may pull from (HOST:PORT).</param>
    public TestPodman(params string[] insecureRegistries)
    {
        File.WriteAllText(_dir["registries.conf"], string.Concat(insecureRegistries.Select(r => $"[[registry]]\nlocation = \"{r}\"\ninsecure = true\n")));
        File.WriteAllText(_dir["containers.conf"], """
            [containers]
            default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
            [engine]
            runtime = "runc"
            cgroup_manager = "cgroupfs"
            events_logger = "file"
            """);
        var info = new ProcessStartInfo("podman") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "--root", _dir["root"], "--runroot", _dir["run"], "--storage-driver", "vfs", "system", "service", "--time=0", Endpoint.ToString() })
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["CONTAINERS_CONF"] = _dir["containers.conf"];
        info.Environment["CONTAINERS_REGISTRIES_CONF"] = _dir["registries.conf"];
        _process = Process.Start(info)!;
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(_dir["podman.sock"]) && DateTime.UtcNow < deadline && !_process.HasExited)
        {
            Thread.Sleep(100);
        }
        if (!File.Exists(_dir["podman.sock"]))
        {
            Dispose();
            throw new InvalidOperationException("podman system service did not start");
        }
    }

    /// <summary>Runs podman against this service's storage.</summary>
    public Task<ProcessResult> PodmanAsync(params string[] args) =>
        ProcessRunner.RunAsync("podman", ["--root", _dir["root"], "--runroot", _dir["run"], "--storage-driver", "vfs", .. args], new Dictionary<string, string> { ["CONTAINERS_CONF"] = _dir["containers.conf"], ["CONTAINERS_REGISTRIES_CONF"] = _dir["registries.conf"] });

    public void Dispose()
    {
        ProcessRunner.Stop(_process);
        _dir.Dispose();
    }
}
