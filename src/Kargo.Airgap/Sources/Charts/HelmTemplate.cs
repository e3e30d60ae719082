using System.Diagnostics;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Sources.Charts;

/// <summary>
/// Renders a packaged chart with the build host's helm (<c>helm template</c>), with the spec's
/// values: the manifests the release would apply, for the same image discovery as spec.manifests.
/// </summary>
public static class HelmTemplate
{
    /// <summary>What --helm takes to render no chart and use the conventions instead.</summary>
    public const string None = "none";

    /// <summary>The helm to render with: --helm PATH, none for no rendering, or helm on PATH (null when there is none).</summary>
    public static string? Locate(string? option, string? pathVariable)
    {
        if (option == None)
        {
            return null;
        }
        if (option is not null)
        {
            return File.Exists(option) ? Path.GetFullPath(option) : throw new KargoException($"--helm {option} does not exist: give the helm binary, or --helm {None} to find chart images by the chart's annotation and values conventions");
        }
        return (pathVariable ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "helm"))
            .FirstOrDefault(File.Exists);
    }

    public static async Task<string> RenderAsync(string helm, SpecChart chart, string archive, CancellationToken cancellationToken)
    {
        var valuesFile = chart.Values is null ? null : Path.Combine(Path.GetTempPath(), $"kargo-values-{Guid.NewGuid():N}.yaml");
        try
        {
            var start = new ProcessStartInfo(helm) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var word in Arguments(chart, archive, valuesFile))
            {
                start.ArgumentList.Add(word);
            }
            if (valuesFile is not null)
            {
                await File.WriteAllTextAsync(valuesFile, chart.Values, cancellationToken);
            }
            using var process = Process.Start(start) ?? throw new KargoException($"cannot run {helm}");
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                var tail = string.Join('\n', (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(10).Select(Terminal.Printable));
                throw new KargoException($"{chart}: 'helm template' failed with exit code {process.ExitCode}:\n{tail}\nFix the values, or build with --helm {None} to find its images by the chart's conventions");
            }
            return await stdout;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new KargoException($"cannot run {helm}: {e.Message}", e);
        }
        finally
        {
            if (valuesFile is not null)
            {
                File.Delete(valuesFile);
            }
        }
    }

    /// <summary>helm template RELEASE ARCHIVE --namespace NS [--values FILE]: what the release would apply.</summary>
    public static IReadOnlyList<string> Arguments(SpecChart chart, string archive, string? valuesFile) =>
        ["template", chart.ReleaseName, archive, "--namespace", chart.Namespace, .. valuesFile is null ? Array.Empty<string>() : ["--values", valuesFile]];
}
