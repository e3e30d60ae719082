using Kargo.Airgap.Build;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Unit;

/// <summary>The bundle's file name goes into install.sh as a name, never as shell code.</summary>
public sealed class InstallScriptTests
{
    private static readonly Inventory Tools = new() { Name = "tools", Version = "2", Platforms = ["linux/amd64"], Source = new("s", "l"), Images = [], Entries = [] };

    [Theory]
    [InlineData("plain.kargo")]
    [InlineData("my bundle.kargo")]
    [InlineData("it's $(touch pwned) `id` \"q\".kargo")]
    public async Task Sh_reads_the_bundle_path_as_the_file_name_it_is(string fileName)
    {
        var line = InstallScript.Text(fileName, Tools).Split('\n').Single(l => l.StartsWith("bundle=", StringComparison.Ordinal));

        var result = await ProcessRunner.RunAsync("sh", ["-c", $"here=/stick; {line}; printf %s \"$bundle\""]);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal($"/stick/{fileName}", result.Stdout);
    }

    [Fact]
    public void A_file_name_with_a_newline_is_refused()
    {
        var error = Assert.Throws<KargoException>(() => InstallScript.Text("a\necho pwned.kargo", Tools));
        Assert.Contains("control character", error.Message);
    }
}
