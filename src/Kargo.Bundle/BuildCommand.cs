using System.CommandLine;
using Kargo.Airgap.Build;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Oci;
using Kargo.Airgap.Registry;
using Kargo.Airgap.Sources;
using Kargo.Shared;

namespace Kargo.Bundle;

internal static class BuildCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var spec = new Argument<string>("SPEC") { Description = "The bundle spec, such as bundle-specs/kargo-homelab.yaml" };
        var output = new Option<string>("--output", "-o") { HelpName = "FILE|DIR", Description = "The bundle file to write, or a folder to write NAME-VERSION.kargo into", Required = true };
        var lockPath = new Option<string>("--lock") { HelpName = "FILE", Description = "The lock file pinning the spec's images", DefaultValueFactory = _ => "images.lock" };
        var locked = new Option<bool>("--locked") { Description = "Build only from what the lock pins: never resolve a tag, fail if anything is unpinned" };
        var rewriteIndex = new Option<bool>("--rewrite-index") { Description = "Store a multi-platform index that lists only the spec's platforms (changes its digest; by default the original index is kept byte for byte)" };
        var key = new Option<string?>("--key") { HelpName = "FILE", Description = $"Sign the bundle with this private key (PREFIX.key from keygen; passphrase in {SigningKey.PasswordVariable})" };
        var split = new Option<string?>("--split") { HelpName = "SIZE", Description = "Write parts NAME.000, NAME.001, … of at most SIZE (such as 4000M or 3.9G). On a FAT file system parts below 4 GiB are the default" }
            .Parsed(size => PartSize.Parse(size));
        var since = new Option<string?>("--since") { HelpName = "OLD", Description = "Build by difference: carry only the blobs and files that OLD (a bundle, or its kargo-bundle.json) lacks. The node must have OLD unpacked or installed; the result is then exactly that of the full bundle" };
        var offlineBin = new Option<string?>("--offline-bin") { HelpName = "DIR", Description = "Carry the self-contained kargo-offline of each platform from DIR/RID/ (scripts/publish.sh writes dist/bin/) and write install-NAME-VERSION.sh beside the bundle. Default: the folder this kargo-bundle was published into, when it holds every platform's" };
        var quiet = OutputOptions.Quiet();
        var json = OutputOptions.Json("what was written");
        var parallel = new Option<int>("--parallel") { HelpName = "N", Description = "Blobs downloaded at once", DefaultValueFactory = _ => 4 }.Between(1, 64);
        var cache = CacheOption.Create();
        var registry = new RegistryArguments();
        var command = new Command("build", """
            Build one bundle file from SPEC: pin images (from the lock, resolving what it lacks unless --locked),
            fetch the missing blobs into the cache, and write the bundle. Nothing is left at --output on failure.
            """)
        { spec, output, lockPath, locked, rewriteIndex, key, split, since, offlineBin, parallel, cache, quiet, json };
        registry.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var splitSize = parse.GetValue(split) is { } size ? PartSize.Parse(size) : (long?)null;
            using var signingKey = KeygenCommand.LoadKey(parse.GetValue(key));
            var options = registry.Read(parse, line => stderr.WriteLine($"warning: {line}"));
            using var client = new RegistryClient(options);
            var store = new OciLayout(parse.GetValue(cache)!).EnsureCreated();
            var report = await ConsoleProgress.RunAsync(stderr, parse.GetValue(quiet), async progress =>
            {
                Action<string>? log = progress is null ? null : progress.Log;
                using var files = new FileSource(store, options) { Log = log };
                var builder = new BundleBuilder(new ImageSource(client, store), store, files) { Log = log, Phases = progress?.Phases };
                return await builder.BuildAsync(new BuildRequest
                {
                    SpecPath = parse.GetValue(spec)!,
                    Output = parse.GetValue(output)!,
                    LockPath = parse.GetValue(lockPath)!,
                    Locked = parse.GetValue(locked),
                    RewriteIndex = parse.GetValue(rewriteIndex),
                    Parallelism = parse.GetValue(parallel),
                    Key = signingKey,
                    SplitSize = splitSize,
                    ReleaseMirror = registry.ReleaseMirror(parse),
                    Since = parse.GetValue(since),
                    Engine = registry.Engine(parse),
                    Helm = registry.Helm(parse),
                    OfflineBinaries = parse.GetValue(offlineBin) ?? PublishedBeside(),
                    OfflineBinariesFound = parse.GetValue(offlineBin) is null,
                }, ct);
            });
            if (parse.GetValue(json))
            {
                await stdout.WriteAsync(BuildJson(report, signingKey?.Fingerprint));
                return CliHost.Success;
            }
            var inventory = report.Inventory;
            var where = report.Files.Count == 1 ? report.Files[0] : $"{report.Files.Count} parts {report.Files[0]} … {Path.GetFileName(report.Files[^1])}";
            var signed = (signingKey is null ? "unsigned" : $"signed by {signingKey.Fingerprint}")
                + (inventory.Base is { } diffBase ? $"; by difference: {diffBase.Entries.Count} entries ({Sizes.Human(diffBase.Entries.Sum(e => e.Size))}) come from {diffBase}" : "");
            await stdout.WriteLineAsync($"wrote {where}: {inventory.Name} {inventory.Version}, {inventory.Images.Count} images, {inventory.Entries.Count} entries, {Sizes.Human(inventory.TotalSize)}, {signed}");
            if (report.InstallScript is { } script)
            {
                await stdout.WriteLineAsync($"wrote {script}: on the node, 'sudo sh {Path.GetFileName(script)} --pub KEY.pub'");
            }
            return CliHost.Success;
        });
        return command;
    }

    private static string BuildJson(BuildReport report, string? signer)
    {
        var inventory = report.Inventory;
        return JsonOutput.Of(new BuildJson(
            report.BundlePath,
            report.Files,
            inventory.Name,
            inventory.Version,
            inventory.Images.Count,
            inventory.Entries.Count,
            inventory.TotalSize,
            signer is null ? "unsigned" : "signed",
            signer,
            DiffBaseJson.Of(inventory.Base),
            report.BlobsFetched,
            report.BytesFetched,
            report.BlobsCached,
            report.InstallScript), BundleCliJson.Default.BuildJson);
    }

    /// <summary>dist/bin/ when this is a published kargo-bundle in dist/bin/RID/ (no kargo-bundle.dll beside it).</summary>
    private static string? PublishedBeside()
    {
        var folder = AppContext.BaseDirectory.TrimEnd('/');
        return File.Exists(Path.Combine(folder, "kargo-bundle.dll")) ? null : Path.GetDirectoryName(folder);
    }
}
