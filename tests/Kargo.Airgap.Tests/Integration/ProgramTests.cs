using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>The published programs start as real processes and explain themselves.</summary>
public sealed class ProgramTests
{
    private static Task<ProcessResult> RunAsync(string program, params string[] args) =>
        ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, program + ".dll"), .. args]);

    [Fact]
    public async Task Kargo_bundle_help_lists_its_commands()
    {
        var result = await RunAsync("kargo-bundle", "--help");

        Assert.Equal(0, result.ExitCode);
        foreach (var command in new[] { "lock", "build", "inspect" })
        {
            Assert.Contains(command, result.Stdout);
        }
    }

    [Fact]
    public async Task Kargo_bundle_build_help_explains_the_options()
    {
        var result = await RunAsync("kargo-bundle", "build", "--help");

        Assert.Equal(0, result.ExitCode);
        foreach (var option in new[] { "--output", "--lock", "--locked", "--cache", "--insecure-registry", "--registry-ca", "--rewrite-index" })
        {
            Assert.Contains(option, result.Stdout);
        }
    }

    [Theory]
    [InlineData("kargo-bundle", "build x.yaml -o out --split 12Q", "--split '12Q' is not a size")]
    [InlineData("kargo-bundle", "build x.yaml -o out --parallel 0", "--parallel 0 is out of range")]
    [InlineData("kargo-bundle", "build x.yaml -o out --parallel -1", "--parallel -1 is out of range")]
    [InlineData("kargo-offline", "serve /tmp --addr 5000", "--addr '5000' is not IP:PORT")]
    [InlineData("kargo-offline", "install b.kargo --pub k.pub --addr localhost:x", "--addr 'localhost:x' is not IP:PORT")]
    public async Task A_value_of_the_wrong_shape_is_a_usage_error(string program, string arguments, string expected)
    {
        var result = await RunAsync(program, arguments.Split(' '));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
    }

    [Fact]
    public async Task Kargo_offline_answers_help_and_version()
    {
        var help = await RunAsync("kargo-offline", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("kargo-offline installs a Kargo air-gap bundle", help.Stdout);

        var version = await RunAsync("kargo-offline", "--version");
        Assert.Equal(0, version.ExitCode);
        Assert.StartsWith("0.1.0", version.Stdout.Trim());
    }

    [Fact]
    public async Task Serve_answers_logs_each_request_and_stops_gracefully_on_sigterm()
    {
        using var dir = new TempDir();
        TestLayout.Write(dir["node/oci"], ("docker.io/library/served:1", TestImages.Image("served-process")));
        var info = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "kargo-offline.dll"), "serve", dir["node"], "--addr", "127.0.0.1:0" })
        {
            info.ArgumentList.Add(arg);
        }
        using var process = System.Diagnostics.Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var banner = await process.StandardOutput.ReadLineAsync();
        Assert.NotNull(banner);
        Assert.Contains("serving 1 repositories (docker.io) at http://127.0.0.1:", banner);
        var address = banner[(banner.IndexOf("http://", StringComparison.Ordinal))..].Trim();

        using var http = new HttpClient();
        var tags = await http.GetStringAsync($"{address}v2/library/served/tags/list");
        Assert.Contains("\"1\"", tags);

        Signals.ToProcess(process.Id, Signals.Term);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, process.ExitCode);
        var log = await stderr;
        Assert.Contains("GET /v2/library/served/tags/list 200", log);
        Assert.Contains("stopped", log);
    }
}
