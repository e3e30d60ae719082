using System.Diagnostics;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// A REAL kube-apiserver v1.20.2 with etcd, as scripts/real-apiserver.sh builds (once, cached) and
/// starts it on 127.0.0.1: discovery, CRDs Established, server-side apply, schema validation,
/// status subresources, and validating webhooks with failurePolicy Fail that refuse while their
/// service has no endpoint. No controller-manager, scheduler or kubelet runs: what those and the
/// operators do, <see cref="StandInCluster"/> does through this server's API.
/// </summary>
public sealed class RealApiServer : IAsyncDisposable
{
    private readonly TempDir _dir = new();
    private Process? _process;

    public string Kubeconfig => _dir["run/kubeconfig"];

    public static async Task<RealApiServer> StartAsync()
    {
        var script = Path.Combine(PublishedOffline.RepositoryRoot, "scripts", "real-apiserver.sh");
        var server = new RealApiServer();
        var start = new ProcessStartInfo("setsid", ["bash", script, "start", server._dir["run"]]) { RedirectStandardOutput = true, RedirectStandardError = true };
        var process = server._process = Process.Start(start) ?? throw new InvalidOperationException("setsid could not start scripts/real-apiserver.sh");
        var errors = process.StandardError.ReadToEndAsync();
        // Building it the first time takes minutes; a cached binary starts in seconds.
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(15));
        if (line is null || !line.StartsWith("ready ", StringComparison.Ordinal))
        {
            await server.DisposeAsync();
            throw new InvalidOperationException($"scripts/real-apiserver.sh did not start: {line}\n{await errors}");
        }
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            // The script's trap stops etcd and kube-apiserver; its process group goes with it.
            Signals.ToGroup(_process.Id, Signals.Term);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20)).ContinueWith(_ => { });
            if (_process is { HasExited: false })
            {
                Signals.ToGroup(_process.Id, Signals.Kill);
            }
        }
        // Whatever outlived the script (it was killed before its trap ran): its pids are in the run folder.
        if (File.Exists(_dir["run/pids"]))
        {
            foreach (var pid in File.ReadAllText(_dir["run/pids"]).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                // Only if that pid is still ours (a pid is reused once its process is gone).
                var command = $"/proc/{pid}/cmdline";
                if (int.TryParse(pid, out var id) && File.Exists(command) && File.ReadAllText(command).Contains(_dir["run"], StringComparison.Ordinal))
                {
                    Signals.ToProcess(id, Signals.Kill);
                }
            }
        }
        _process?.Dispose();
        _dir.Dispose();
    }
}
