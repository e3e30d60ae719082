using System.Security.Cryptography;
using Kargo.Airgap.Bundle;

namespace Kargo.Airgap.Install;

/// <summary>How one step went in this run.</summary>
/// <param name="Name">The step.</param>
/// <param name="Status">Ran, finished before, or planned.</param>
/// <param name="Details">What it did or would do.</param>
/// <param name="Elapsed">How long it ran, for a step that ran in this run.</param>
public sealed record StepOutcome(string Name, StepStatus Status, IReadOnlyList<string> Details, TimeSpan? Elapsed = null);

public enum StepStatus
{
    /// <summary>Ran in this run.</summary>
    Ran,

    /// <summary>Finished in an earlier run of the same bundle.</summary>
    DoneBefore,

    /// <summary>--dry-run: what it would do.</summary>
    Planned,
}

/// <summary>What an install (or join) did, for the closing report.</summary>
public sealed record InstallResult(Inventory Inventory, VerifyReport Head, IReadOnlyList<StepOutcome> Steps, IReadOnlyList<string> Summary)
{
    public bool NothingToDo => Steps.All(s => s.Status == StepStatus.DoneBefore);
}

/// <summary>
/// Runs steps in order and records each finished one in a state file under /var/lib/kargo, so a
/// re-run resumes at the first unfinished step and a finished install is left alone. Which steps
/// run depends on what the bundle carries (its cluster distribution). The bundle's
/// signature and size are checked on every run, before any step: a state file proves nothing
/// about a bundle that has since changed, and a different bundle starts over from the top.
/// </summary>
public sealed class Installer(Func<Inventory, IReadOnlyList<IInstallStep>> stepsFor, string stateFileName)
{
    public async Task<InstallResult> RunAsync(string bundle, TrustedKeys? trusted, HostRoot root, bool dryRun, Action<string> log,
        Func<InstallContext, IReadOnlyList<string>> summary, CancellationToken cancellationToken)
    {
        var head = BundleVerifier.VerifyHead(bundle, trusted);
        if (!head.Ok)
        {
            var problems = head.Failures.Select(f => $"{f.Entry}: {f.Problem}").DefaultIfEmpty("the bundle is unsigned");
            throw new KargoException($"{head.Bundle} cannot be trusted, nothing was installed:\n  {string.Join("\n  ", problems)}");
        }
        var inventory = head.Inventory!;
        var steps = stepsFor(inventory);
        var identity = Convert.ToHexStringLower(SHA256.HashData(head.InventoryBytes!));
        var statePath = root.Map($"{HostRoot.StateFolder}/{stateFileName}");
        var state = InstallState.Load(statePath);
        if (state.InventorySha256 != identity)
        {
            if (state.Steps.Count > 0)
            {
                log($"{statePath} records another bundle ({state.Bundle}): installing {inventory.Name} {inventory.Version} from the first step");
            }
            state = new InstallState { Bundle = $"{inventory.Name} {inventory.Version}", InventorySha256 = identity };
        }
        var context = new InstallContext(root, inventory, head, log);
        var outcomes = new List<StepOutcome>();
        var changed = false;
        foreach (var step in steps)
        {
            var inputs = step.Inputs;
            if (state.IsDone(step.Name) && !changed && (state.Find(step.Name)!.Inputs ?? "") != inputs)
            {
                // A re-run with other options: what the step wrote is out of date, and what follows may depend on it.
                log($"'{step.Name}' ran with {Shown(state.Find(step.Name)!.Inputs)}; now {Shown(inputs)}: it runs again, and every step after it");
                changed = true;
            }
            if (state.IsDone(step.Name) && !changed)
            {
                outcomes.Add(new(step.Name, StepStatus.DoneBefore, state.Steps.Single(s => s.Name == step.Name).Details));
                continue;
            }
            if (dryRun)
            {
                outcomes.Add(new(step.Name, StepStatus.Planned, [.. step.Plan(context)]));
                continue;
            }
            context.Details.Clear();
            log($"== {step.Name}");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                await step.RunAsync(context, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                state.Record(new StepRecord { Name = step.Name, Status = StepRecord.Failed, FinishedAt = DateTimeOffset.UtcNow, Inputs = inputs, Details = [.. context.Details, e.Message] });
                state.Save(statePath);
                throw new KargoException($"step '{step.Name}' failed: {e.Message}\nFix that and run the same command again: it resumes at '{step.Name}' (progress is kept in {statePath}).", e);
            }
            state.Record(new StepRecord { Name = step.Name, Status = StepRecord.Done, FinishedAt = DateTimeOffset.UtcNow, Inputs = inputs, Details = [.. context.Details] });
            state.Save(statePath);
            outcomes.Add(new(step.Name, StepStatus.Ran, [.. context.Details], clock.Elapsed));
        }
        return new InstallResult(inventory, head, outcomes, summary(context));
    }

    private static string Shown(string? inputs) => string.IsNullOrEmpty(inputs) ? "other options" : inputs;
}
