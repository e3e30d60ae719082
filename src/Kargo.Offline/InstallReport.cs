using System.Text;
using Kargo.Airgap.Install;
using Kargo.Shared;

namespace Kargo.Offline;

/// <summary>What install and join print at the end: each step, then the summary; or the same as JSON.</summary>
internal static class InstallReport
{
    public static string Text(InstallResult result, bool dryRun)
    {
        var text = new StringBuilder();
        var inventory = result.Inventory;
        if (dryRun)
        {
            text.AppendLine($"plan for {inventory.Name} {inventory.Version} (--dry-run: nothing is written, nothing runs):");
        }
        else if (result.NothingToDo)
        {
            text.AppendLine($"nothing to do: {inventory.Name} {inventory.Version} is already installed, every step finished in an earlier run");
        }
        foreach (var step in result.Steps)
        {
            var status = step.Status switch
            {
                StepStatus.Ran => "done",
                StepStatus.DoneBefore => "done in an earlier run",
                _ => "would run",
            };
            text.AppendLine($"[{status}] {step.Name}{(step.Elapsed is { } elapsed ? $" ({Took(elapsed)})" : "")}");
            if (step.Status != StepStatus.DoneBefore)
            {
                step.Details.ToList().ForEach(d => text.AppendLine($"    {d}"));
            }
        }
        if (!dryRun)
        {
            text.AppendLine();
            result.Summary.ToList().ForEach(s => text.AppendLine(s));
        }
        return text.ToString();
    }

    private static string Took(TimeSpan elapsed) => elapsed.TotalSeconds < 90
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{elapsed.TotalSeconds:0.0} s")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{elapsed.TotalMinutes:0.0} min");

    public static string Json(InstallResult result, bool dryRun)
    {
        return JsonOutput.Of(new InstallJson(
            Ok: true,
            result.Inventory.Name,
            result.Inventory.Version,
            dryRun,
            NothingToDo: !dryRun && result.NothingToDo,
            [.. result.Steps.Select(step => new InstallStepJson(
                step.Name,
                step.Status switch { StepStatus.Ran => "ran", StepStatus.DoneBefore => "doneBefore", _ => "planned" },
                [.. step.Details],
                step.Elapsed?.TotalSeconds))],
            [.. result.Summary]), OfflineJson.Default.InstallJson);
    }
}
