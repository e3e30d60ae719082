using System.Diagnostics;

namespace Kargo.Airgap.Install;

/// <summary>A command an install runs on the node; secrets are passed in files, never here.</summary>
public sealed record HostCommand(string Program, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string>? Environment = null)
{
    /// <summary>As a shell line: the environment first, every word quoted where it needs it.</summary>
    public override string ToString()
    {
        var words = (Environment ?? new Dictionary<string, string>()).OrderBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => $"{e.Key}={Quote(e.Value)}")
            .Concat([Quote(Program)])
            .Concat(Arguments.Select(Quote));
        return string.Join(' ', words);
    }

    private static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,+@".Contains(c)) ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>
/// Runs host commands, or under --root records them in /var/lib/kargo/commands.log instead, so a
/// test (or a cautious user) sees exactly what an install would do to a node.
/// </summary>
public sealed class HostCommands(HostRoot root)
{
    public const string RecordFile = HostRoot.StateFolder + "/commands.log";

    /// <returns>What the command printed on stdout (nothing under --root).</returns>
    public async Task<string> RunAsync(HostCommand command, Action<string> log, CancellationToken cancellationToken)
    {
        if (root.IsRecording)
        {
            var record = root.Map(RecordFile);
            Directory.CreateDirectory(Path.GetDirectoryName(record)!);
            await File.AppendAllTextAsync(record, command + "\n", cancellationToken);
            log($"recorded (not run, --root): {command}");
            return "";
        }
        log($"running: {command}");
        var start = new ProcessStartInfo(command.Program) { RedirectStandardOutput = true, RedirectStandardError = true };
        command.Arguments.ToList().ForEach(start.ArgumentList.Add);
        foreach (var (name, value) in command.Environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new KargoException($"cannot run {command.Program}: {e.Message}", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C stops what the install started too, not only the install (an install script left running keeps going).
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
                throw;
            }
            var output = await stdout;
            if (process.ExitCode != 0)
            {
                var tail = string.Join('\n', (output + await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(15));
                throw new KargoException($"'{command}' failed with exit code {process.ExitCode}:\n{tail}");
            }
            return output;
        }
    }
}
