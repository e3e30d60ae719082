using Kargo.Airgap.Bundle;
using Kargo.Shared;

namespace Kargo.Offline;

/// <summary>A verify report as text lines or JSON.</summary>
internal static class ReportWriter
{
    public static string Text(VerifyReport report, string verb)
    {
        var text = new System.Text.StringBuilder();
        var files = report.Files.Count == 1 ? report.Files[0] : $"{report.Files.Count} parts ({Path.GetFileName(report.Files[0])} …)";
        text.AppendLine($"bundle:    {files}");
        if (report.Inventory is { } inventory)
        {
            text.AppendLine($"name:      {inventory.Name} {inventory.Version}");
            if (inventory.Base is { } diffBase)
            {
                text.AppendLine($"base:      {diffBase} (inventory sha256 {diffBase.InventorySha256}): {diffBase.Entries.Count} entries come from it, which must be in place to unpack");
            }
        }
        text.AppendLine(report.Signature switch
        {
            SignatureState.Verified => $"signature: verified, signed by {report.SignedBy}",
            SignatureState.Skipped => "signature: NOT CHECKED (--insecure-skip-signature)",
            SignatureState.UntrustedKey => $"signature: signed by an UNTRUSTED key ({report.SignedBy})",
            SignatureState.Mismatch => "signature: DOES NOT MATCH the inventory (altered after signing)",
            _ => "signature: missing",
        });
        text.AppendLine($"entries:   {report.EntriesVerified} verified, {Sizes.Human(report.BytesVerified)}");
        foreach (var failure in report.Failures)
        {
            text.AppendLine($"FAILED     {failure.Entry}: {failure.Problem}");
        }
        text.AppendLine(report.Ok ? $"{verb}: OK" : $"{verb}: FAILED ({report.Failures.Count} problem(s))");
        return text.ToString();
    }

    public static string Json(VerifyReport report)
    {
        var inventory = report.Inventory;
        return JsonOutput.Of(new VerifyJson(
            report.Ok,
            report.Files,
            inventory?.Name,
            inventory?.Version,
            DiffBaseJson.Of(inventory?.Base),
            report.Signature switch
            {
                SignatureState.UntrustedKey => "untrusted-key",
                _ => report.Signature.ToString().ToLowerInvariant(),
            },
            report.SignedBy,
            report.EntriesVerified,
            report.BytesVerified,
            [.. report.Failures.Select(f => new VerifyFailureJson(f.Entry, f.Problem))]), OfflineJson.Default.VerifyJson);
    }
}
