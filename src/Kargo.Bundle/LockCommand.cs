using System.CommandLine;
using Kargo.Airgap.Build;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Sources;
using Kargo.Airgap.Sources.Releases;
using Kargo.Shared;

namespace Kargo.Bundle;

internal static class LockCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var spec = new Argument<string>("SPEC") { Description = "The bundle spec, such as bundle-specs/kargo-homelab.yaml" };
        var lockPath = new Option<string>("--lock") { HelpName = "FILE", Description = "The lock file to write", DefaultValueFactory = _ => "images.lock" };
        var cache = CacheOption.Create();
        var json = OutputOptions.Json("every pin and what it was before");
        var plan = new Option<bool>("--plan")
        {
            Description = "Contact nothing: print every URL, image and host lock would contact (for a firewall or proxy allow-list). Images of manifests not downloaded yet are known after a lock or build",
        };
        var registry = new RegistryArguments();
        var command = new Command("lock", "Resolve every image tag of SPEC to its manifest digest and write the lock file.") { spec, lockPath, cache, json, plan };
        registry.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(plan))
            {
                var lockPlan = LockPlan.For(parse.GetValue(spec)!, parse.GetValue(lockPath)!, new ReleaseCatalog(registry.ReleaseMirror(parse)), new OciLayout(parse.GetValue(cache)!));
                await stdout.WriteAsync(parse.GetValue(json) ? PlanJson(lockPlan) : PlanText(lockPlan));
                return CliHost.Success;
            }
            var options = registry.Read(parse, line => stderr.WriteLine($"warning: {line}"));
            using var client = new RegistryClient(options);
            var store = new OciLayout(parse.GetValue(cache)!).EnsureCreated();
            using var files = new FileSource(store, options) { Log = line => stderr.WriteLine(line) };
            var helm = Kargo.Airgap.Sources.Charts.HelmTemplate.Locate(registry.Helm(parse), Environment.GetEnvironmentVariable("PATH"));
            var changes = await SpecLocker.LockAsync(parse.GetValue(spec)!, parse.GetValue(lockPath)!, new ImageSource(client, store), files, new ReleaseCatalog(registry.ReleaseMirror(parse)), store, registry.Engine(parse), ct,
                helm, line => stderr.WriteLine(line));
            // Origins are names read from downloaded manifests: shown as printable text only.
            foreach (var warning in changes.Select(c => c.Warning).OfType<string>())
            {
                await stderr.WriteLineAsync($"warning: {Kargo.Airgap.Terminal.Printable(warning)}");
            }
            if (parse.GetValue(json))
            {
                await stdout.WriteAsync(LockJson(changes));
                return CliHost.Success;
            }
            foreach (var change in changes)
            {
                var note = change.PreviousDigest is null ? "new" : change.Changed ? $"was {change.PreviousDigest}" : "unchanged";
                var found = change.FoundBy is null or "spec" ? "" : change.Reference.StartsWith("chart ", StringComparison.Ordinal)
                    ? $", {change.Origin} found by {change.FoundBy}"
                    : $", found by {change.FoundBy} in {Kargo.Airgap.Terminal.Printable(change.Origin ?? "")}";
                var via = change.Via is null ? "" : $", via mirror {change.Via}";
                await stdout.WriteLineAsync($"{change.Reference} {change.Digest} ({note}{found}{via})");
            }
            await stderr.WriteLineAsync($"wrote {parse.GetValue(lockPath)}: {changes.Count} images, {changes.Count(c => c.Changed)} changed");
            return CliHost.Success;
        });
        return command;
    }

    private static string PlanText(LockPlan plan)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine($"urls ({plan.Urls.Count}):");
        plan.Urls.ToList().ForEach(u => text.AppendLine($"  {u}"));
        text.AppendLine($"images ({plan.Images.Count}):");
        // Origins are names read from downloaded manifests: shown as printable text only.
        plan.Images.ToList().ForEach(i => text.AppendLine($"  {i.Reference}  ({i.FoundBy}: {Kargo.Airgap.Terminal.Printable(i.Origin)}){(i.Latest ? "  [tag latest]" : "")}"));
        if (plan.Images.Any(i => i.Latest))
        {
            text.AppendLine("[tag latest]: named by the tag latest (or by no tag, which means latest); lock pins whatever latest points to on the day of the lock, not a release's own build");
        }
        if (plan.NotCached.Count > 0)
        {
            text.AppendLine($"images named by these manifests are known once they are downloaded (run lock or build once; the cache keeps them):");
            plan.NotCached.ToList().ForEach(u => text.AppendLine($"  {u}"));
        }
        text.AppendLine($"hosts ({plan.Hosts.Count}); registries and downloads may also send clients on to token and download hosts that only their answers name:");
        plan.Hosts.ToList().ForEach(h => text.AppendLine($"  {h}"));
        return text.ToString();
    }

    private static string PlanJson(LockPlan plan) => JsonOutput.Of(
        new LockPlanJson(plan.Urls, [.. plan.Images.Select(i => new PlannedImageJson(i.Reference, i.FoundBy, i.Origin, i.Latest))], plan.NotCached, plan.Hosts),
        BundleCliJson.Default.LockPlanJson);

    private static string LockJson(IReadOnlyList<LockChange> changes)
    {
        return JsonOutput.Of<IReadOnlyList<LockChangeJson>>(
            [.. changes.Select(c => new LockChangeJson(c.Reference, c.Digest, c.PreviousDigest, c.Changed, c.FoundBy, c.FoundBy is null ? null : c.Origin, c.Via, c.Warning))],
            BundleCliJson.Default.IReadOnlyListLockChangeJson);
    }
}
