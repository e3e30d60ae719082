namespace Kargo.Airgap.Install.Node;

/// <summary>
/// Applies a bridge plan with a way back: the tool's whole folder is copied to
/// /var/lib/kargo/bridge-rollback first, with a record of what was written; a rollback puts the
/// folder back as it was, removes the bridge and applies again. Nothing is applied without asking.
/// </summary>
public static class BridgeChange
{
    public const string RollbackFolder = HostRoot.StateFolder + "/bridge-rollback";
    private const string RecordFile = RollbackFolder + "/rollback.txt";

    public static async Task<IReadOnlyList<string>> ApplyAsync(HostRoot root, BridgePlan plan, Action<string> log, CancellationToken cancellationToken)
    {
        if (File.Exists(root.Map(RecordFile)))
        {
            throw new KargoException($"a bridge change is applied already ({RecordFile}): run 'kargo-offline bridge --rollback' first");
        }
        var done = new List<string>();
        var folder = root.Map(plan.Folder);
        var saved = Directory.Exists(folder) ? Directory.GetFiles(folder).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList() : [];
        foreach (var name in saved)
        {
            root.WriteFile($"{RollbackFolder}/files/{name}", await File.ReadAllBytesAsync(Path.Combine(folder, name), cancellationToken), File.GetUnixFileMode(Path.Combine(folder, name)));
        }
        var record = new List<string> { $"tool {plan.Tool}", $"folder {plan.Folder}" };
        record.AddRange(saved.Select(n => $"saved {n}"));
        record.AddRange(plan.Files.Select(f => $"written {Path.GetFileName(f.Path)}"));
        record.AddRange(plan.Undo.Select(c => $"undo {string.Join(' ', c.Arguments.Prepend(c.Program))}"));
        root.WriteFile(RecordFile, System.Text.Encoding.UTF8.GetBytes(string.Join('\n', record) + "\n"), HostRoot.Private);
        done.Add($"saved {plan.Folder} ({saved.Count} files) to {RollbackFolder}");
        foreach (var file in plan.Files)
        {
            root.WriteFile(file.Path, System.Text.Encoding.UTF8.GetBytes(file.Content), file.Mode);
            done.Add($"wrote {file.Path}");
        }
        var commands = new HostCommands(root);
        foreach (var command in plan.Apply)
        {
            await commands.RunAsync(command, log, cancellationToken);
            done.Add((root.IsRecording ? "recorded: " : "ran: ") + command);
        }
        return done;
    }

    public static async Task<IReadOnlyList<string>> RollbackAsync(HostRoot root, Action<string> log, CancellationToken cancellationToken)
    {
        var recordPath = root.Map(RecordFile);
        if (!File.Exists(recordPath))
        {
            throw new KargoException($"there is no bridge change to roll back ({RecordFile} does not exist)");
        }
        var lines = (await File.ReadAllLinesAsync(recordPath, cancellationToken)).Select(l => l.Split(' ', 2)).Where(p => p.Length == 2).ToList();
        string Field(string key) => lines.FirstOrDefault(p => p[0] == key)?[1] ?? throw new KargoException($"{RecordFile} is damaged (no {key}): restore {RollbackFolder}/files by hand");
        var folder = Field("folder");
        if (folder is not (NetplanBridge.Folder or NetworkManagerBridge.Folder))
        {
            throw new KargoException($"{RecordFile} names {Terminal.Printable(folder)}, not a folder 'bridge' writes: restore {RollbackFolder}/files by hand");
        }
        var saved = lines.Where(p => p[0] == "saved").Select(p => SafeName(p[1])).ToHashSet(StringComparer.Ordinal);
        var done = new List<string>();
        foreach (var written in lines.Where(p => p[0] == "written").Select(p => SafeName(p[1])).Where(n => !saved.Contains(n)))
        {
            File.Delete(root.Map($"{folder}/{written}"));
            done.Add($"removed {folder}/{written}");
        }
        foreach (var name in saved)
        {
            var copy = root.Map($"{RollbackFolder}/files/{name}");
            root.WriteFile($"{folder}/{name}", await File.ReadAllBytesAsync(copy, cancellationToken), File.GetUnixFileMode(copy));
            done.Add($"restored {folder}/{name}");
        }
        var commands = new HostCommands(root);
        foreach (var words in lines.Where(p => p[0] == "undo").Select(p => p[1].Split(' ')))
        {
            var command = new HostCommand(words[0], words[1..]);
            try
            {
                await commands.RunAsync(command, log, cancellationToken);
            }
            catch (KargoException e) when (words[0] == "ip")
            {
                log($"{command}: {e.Message} (the bridge may be gone already)");
            }
            done.Add((root.IsRecording ? "recorded: " : "ran: ") + command);
        }
        Directory.Delete(root.Map(RollbackFolder), recursive: true);
        return done;
    }

    private static string SafeName(string name) =>
        name.Length > 0 && name[0] != '.' && name.IndexOfAny(['/', '\0']) < 0 ? name : throw new KargoException($"{RecordFile} names '{Terminal.Printable(name)}', not a file name: restore {RollbackFolder}/files by hand");
}
