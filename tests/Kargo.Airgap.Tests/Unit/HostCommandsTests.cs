using Kargo.Airgap.Install;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Unit;

public sealed class HostCommandsTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public async Task On_a_node_a_command_runs_and_its_output_comes_back()
    {
        var output = await new HostCommands(new HostRoot("/")).RunAsync(new HostCommand("sh", ["-c", "echo \"$GREETING\""], new Dictionary<string, string> { ["GREETING"] = "hello node" }), _ => { }, CancellationToken.None);

        Assert.Equal("hello node\n", output);
    }

    [Fact]
    public async Task A_failing_command_is_an_error_with_its_exit_code_and_last_lines()
    {
        var error = await Assert.ThrowsAsync<KargoException>(() => new HostCommands(new HostRoot("/")).RunAsync(new HostCommand("sh", ["-c", "echo starting; echo 'no space left' >&2; exit 3"]), _ => { }, CancellationToken.None));

        Assert.StartsWith("'sh -c 'echo starting; echo '\\''no space left'\\'' >&2; exit 3'' failed with exit code 3", error.Message);
        Assert.Contains("no space left", error.Message);
    }

    [Fact]
    public async Task An_interrupted_install_stops_the_command_it_started_and_its_children()
    {
        using var stop = new CancellationTokenSource();
        var pidFile = _dir["child.pid"];
        var running = new HostCommands(new HostRoot("/")).RunAsync(new HostCommand("sh", ["-c", $"sleep 60 & echo $! > {pidFile}; wait"]), _ => { }, stop.Token);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(pidFile) || new FileInfo(pidFile).Length == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the command did not start");
            await Task.Delay(20);
        }
        var child = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);

        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        // SIGKILL is delivered asynchronously: give the kernel a moment, far less than the 60 s sleep.
        var gone = DateTime.UtcNow.AddSeconds(10);
        while (Runs(child) && DateTime.UtcNow < gone)
        {
            await Task.Delay(20);
        }
        Assert.False(Runs(child), $"sleep ({child}) still runs");
    }

    private static bool Runs(int pid)
    {
        try
        {
            return !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false; // gone (FileNotFound and DirectoryNotFound are IOExceptions)
        }
    }

    [Fact]
    public async Task One_slow_answer_of_the_registry_is_a_try_that_failed_not_the_end_of_waiting()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        _ = Task.Run(async () =>
        {
            // The first connection gets no answer at all; the next ones a 200.
            var silent = await listener.AcceptTcpClientAsync();
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                var stream = client.GetStream();
                _ = await stream.ReadAsync(new byte[4096]); // the request line is enough: any request gets the answer
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"u8.ToArray());
            }
        });

        var answered = await Kargo.Airgap.Install.Steps.RegistryStep.AnswersAsync(new Uri($"http://127.0.0.1:{port}/v2/"), TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(500), CancellationToken.None);

        Assert.True(answered);
    }

    [Fact]
    public async Task Under_root_a_command_is_recorded_as_a_shell_line_and_not_run()
    {
        var root = new HostRoot(_dir["node"]);
        var logged = new List<string>();

        var output = await new HostCommands(root).RunAsync(new HostCommand("sh", ["-c", $"touch {_dir["ran"]}"], new Dictionary<string, string> { ["B"] = "2", ["A"] = "x y" }), logged.Add, CancellationToken.None);

        Assert.Equal("", output);
        Assert.False(File.Exists(_dir["ran"]));
        Assert.Equal([$"A='x y' B=2 sh -c 'touch {_dir["ran"]}'"], File.ReadAllLines(_dir["node/var/lib/kargo/commands.log"]));
        Assert.Contains("recorded (not run, --root)", Assert.Single(logged));
    }

    [Fact]
    public void Node_paths_map_under_root_and_escapes_are_refused()
    {
        var root = new HostRoot(_dir["node"]);

        Assert.Equal(_dir["node/etc/rancher/k3s/config.yaml"], root.Map("/etc/rancher/k3s/config.yaml"));
        Assert.Equal("/etc/x", new HostRoot("/").Map("/etc/x"));
        Assert.Throws<ArgumentException>(() => root.Map("/etc/../../outside"));
        Assert.Throws<ArgumentException>(() => root.Map("relative/path"));
    }

    public void Dispose() => _dir.Dispose();
}
