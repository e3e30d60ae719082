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
}
