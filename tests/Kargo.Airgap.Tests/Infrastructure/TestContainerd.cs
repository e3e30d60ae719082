using System.Diagnostics;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>A real containerd, its state in a temp folder, driven with ctr; stopped when the test ends.</summary>
public sealed class TestContainerd : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Process _process;

    public string Socket => _dir["containerd.sock"];

    public TestContainerd()
    {
        File.WriteAllText(_dir["config.toml"], $"""
            version = 2
            root = "{_dir["root"]}"
            state = "{_dir["state"]}"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]
            [grpc]
              address = "{Socket}"
            [ttrpc]
              address = "{_dir["ttrpc.sock"]}"
            """);
        var info = new ProcessStartInfo("containerd") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(_dir["config.toml"]);
        _process = Process.Start(info)!;
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!File.Exists(Socket) && DateTime.UtcNow < deadline && !_process.HasExited)
        {
            Thread.Sleep(50);
        }
        if (!File.Exists(Socket))
        {
            Dispose();
            throw new InvalidOperationException("containerd did not start");
        }
    }

    public Task<ProcessResult> CtrAsync(params string[] args) => ProcessRunner.RunAsync("ctr", ["--address", Socket, .. args]);

    public void Dispose()
    {
        ProcessRunner.Stop(_process);
        _dir.Dispose();
    }
}
