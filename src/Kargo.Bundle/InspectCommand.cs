using System.CommandLine;
using Kargo.Airgap.Bundle;

using Kargo.Shared;

namespace Kargo.Bundle;

internal static partial class InspectCommand
{
    /// <summary>The inventory is read from a bundle: only a rule's own shape of name reaches the terminal.</summary>
    [System.Text.RegularExpressions.GeneratedRegex("^[a-z][a-z-]{0,31}\\z")]
    private static partial System.Text.RegularExpressions.Regex RuleKey();

    public static Command Create(TextWriter stdout)
    {
        var bundle = new Argument<string>("BUNDLE") { Description = "A .kargo bundle: its file, or any of its parts (NAME.kargo.000 …)" };
        var json = OutputOptions.Json("the summary");
        var command = new Command("inspect", "Show what a bundle holds: name, version, images with digests and sizes, total size.") { bundle, json };
        command.SetAction(async parse =>
        {
            var summary = BundleReader.ReadSummary(parse.GetValue(bundle)!);
            await stdout.WriteAsync(parse.GetValue(json) ? Json(summary) : Text(summary));
            return CliHost.Success;
        });
        return command;
    }

    private static string Text(BundleSummary summary)
    {
        var inventory = summary.Inventory;
        var text = new System.Text.StringBuilder();
        text.AppendLine($"bundle:    {summary.Path}");
        text.AppendLine($"name:      {inventory.Name}");
        text.AppendLine($"version:   {inventory.Version}");
        text.AppendLine($"platforms: {string.Join(", ", inventory.Platforms)}");
        foreach (var component in inventory.Components ?? [])
        {
            var gates = component.FeatureGates is { Count: > 0 } g ? $" (feature gates: {string.Join(", ", g)})" : "";
            text.AppendLine($"component: {component.Name} {component.Version}{gates}");
        }
        text.AppendLine($"signature: {(summary.Signed ? $"signed by {inventory.Signer ?? "an unnamed key"}" : "unsigned")}");
        if (inventory.Base is { } diffBase)
        {
            text.AppendLine($"base:      {diffBase} (inventory sha256 {diffBase.InventorySha256}): by difference, {diffBase.Entries.Count} entries ({Sizes.Human(diffBase.Entries.Sum(e => e.Size))}) come from it");
        }
        text.AppendLine($"images ({inventory.Images.Count}):");
        foreach (var image in inventory.Images.OrderBy(i => i.Component ?? "", StringComparer.Ordinal))
        {
            var found = image.FoundBy is { } rule && RuleKey().IsMatch(rule) ? $"  (found by {rule})" : "";
            text.AppendLine((image.Component is { } component ? $"  [{component}] {image.Reference}" : $"  {image.Reference}") + found);
            text.AppendLine($"    {image.Digest}  {Sizes.Human(image.Size),10}  {string.Join(", ", image.Platforms)}");
        }
        if (inventory.Charts is { Count: > 0 } charts)
        {
            // Every field passed the inventory's rules (names, versions, references): safe to print.
            text.AppendLine($"charts ({charts.Count}):");
            foreach (var chart in charts)
            {
                text.AppendLine($"  {chart.Name} {chart.Version}: release {chart.ReleaseName} in namespace {chart.Namespace}{(chart.Values is null ? "" : ", with values")}; {chart.Images.Count} image{(chart.Images.Count == 1 ? "" : "s")} (found by {chart.FoundBy})");
                chart.Images.ToList().ForEach(i => text.AppendLine($"    {i}"));
            }
        }
        var carried = inventory.Entries.Where(e => !BundleLayout.IsIn(e.Path, BundleLayout.OciFolder) && !BundleLayout.IsIn(e.Path, BundleLayout.SpecFolder)).ToList();
        if (carried.Count > 0)
        {
            text.AppendLine($"files ({carried.Count}):");
            foreach (var entry in carried)
            {
                text.AppendLine($"  {entry.Path,-48} {Sizes.Human(entry.Size),10}");
            }
        }
        text.AppendLine($"total:     {Sizes.Human(inventory.TotalSize)} in {inventory.Entries.Count} entries ({summary.FileSize} bytes on disk)");
        return text.ToString();
    }

    private static string Json(BundleSummary summary)
    {
        var inventory = summary.Inventory;
        // One vocabulary with verify, build and sign: "signature" says what there is, "signer" whose key (inspect checks no key).
        return JsonOutput.Of(new InspectJson(
            inventory.Name,
            inventory.Version,
            DiffBaseJson.Of(inventory.Base),
            inventory.Platforms,
            [.. (inventory.Components ?? []).Select(c => new InspectComponentJson(c.Name, c.Version))],
            [.. inventory.Entries.Where(e => !BundleLayout.IsIn(e.Path, BundleLayout.OciFolder) && !BundleLayout.IsIn(e.Path, BundleLayout.SpecFolder))],
            summary.Signed ? "signed" : "unsigned",
            summary.Signed ? inventory.Signer : null,
            [.. inventory.Images.Select(i => new InspectImageJson(i.Reference, i.Digest.ToString(), i.MediaType, i.Size, i.Component, i.FoundBy, i.Platforms))],
            inventory.Charts,
            inventory.Entries.Count,
            inventory.TotalSize,
            summary.FileSize), BundleCliJson.Default.InspectJson);
    }
}
