using System.Diagnostics;
using System.Globalization;
using Kargo.Airgap;
using Spectre.Console;

namespace Kargo.Shared;

/// <summary>
/// How the programs show a long job. On a terminal: a progress bar per phase with bytes, rate and
/// time left (Spectre.Console), the log lines above it. Piped, in CI or in tests: the log lines,
/// and one plain line per finished phase. --quiet: neither, only the result and errors.
/// </summary>
internal sealed class ConsoleProgress
{
    private readonly TextWriter _stderr;
    private readonly IAnsiConsole? _terminal;
    private ProgressContext? _context;

    private ConsoleProgress(TextWriter stderr, IAnsiConsole? terminal)
    {
        _stderr = stderr;
        _terminal = terminal;
    }

    /// <summary>Runs a job with a reporter fit for where stderr goes (null when quiet).</summary>
    public static async Task<T> RunAsync<T>(TextWriter stderr, bool quiet, Func<ConsoleProgress?, Task<T>> job)
    {
        if (quiet)
        {
            return await job(null);
        }
        if (!IsTerminal(stderr))
        {
            return await job(new ConsoleProgress(stderr, null));
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var reporter = new ConsoleProgress(stderr, console);
        T result = default!;
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                reporter._context = context;
                result = await job(reporter);
            });
        return result;
    }

    /// <summary>Progress bars are drawn (rather than a line per phase).</summary>
    public bool ShowsBars => _terminal is not null;

    /// <summary>Whether a job run with these settings draws bars.</summary>
    public static bool WouldShowBars(TextWriter stderr, bool quiet) => !quiet && IsTerminal(stderr);

    /// <summary>A terminal only when stderr is the process's own, not redirected, and not in CI.</summary>
    private static bool IsTerminal(TextWriter stderr) =>
        ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null;

    /// <summary>A line of what the job is doing.</summary>
    public void Log(string line)
    {
        if (_terminal is not null)
        {
            _terminal.MarkupLine(Markup.Escape(line));
        }
        else
        {
            _stderr.WriteLine(line);
        }
    }

    public IPhaseProgress Phases => _terminal is not null ? new BarPhases(this) : new LinePhases(_stderr);

    /// <summary>A bar per phase.</summary>
    private sealed class BarPhases(ConsoleProgress owner) : IPhaseProgress
    {
        private readonly Dictionary<string, ProgressTask> _tasks = [];

        public IProgress<long> Begin(string phase, long totalBytes)
        {
            var task = owner._context!.AddTask(phase, maxValue: Math.Max(1, totalBytes));
            lock (_tasks)
            {
                _tasks[phase] = task;
            }
            return new Progress(task);
        }

        public void Complete(string phase)
        {
            lock (_tasks)
            {
                if (_tasks.Remove(phase, out var task))
                {
                    task.StopTask();
                }
            }
        }

        private sealed class Progress(ProgressTask task) : IProgress<long>
        {
            public void Report(long value) => task.Increment(value);
        }
    }

    /// <summary>One line per finished phase: how much, how long, how fast.</summary>
    private sealed class LinePhases(TextWriter stderr) : IPhaseProgress
    {
        private readonly Dictionary<string, (Stopwatch Clock, Counter Done)> _phases = [];

        public IProgress<long> Begin(string phase, long totalBytes)
        {
            var counter = new Counter();
            lock (_phases)
            {
                _phases[phase] = (Stopwatch.StartNew(), counter);
            }
            return counter;
        }

        public void Complete(string phase)
        {
            (Stopwatch Clock, Counter Done) entry;
            lock (_phases)
            {
                if (!_phases.Remove(phase, out entry))
                {
                    return;
                }
            }
            var seconds = Math.Max(entry.Clock.Elapsed.TotalSeconds, 0.001);
            var bytes = entry.Done.Total;
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{phase}: {Sizes.Human(bytes)} in {seconds:0.00} s ({Sizes.Human((long)(bytes / seconds))}/s)"));
        }

        private sealed class Counter : IProgress<long>
        {
            private long _total;

            public long Total => Interlocked.Read(ref _total);

            public void Report(long value) => Interlocked.Add(ref _total, value);
        }
    }
}
