using System.CommandLine;

namespace Kargo.Shared;

/// <summary>--quiet and --json, the same on every command that reports.</summary>
internal static class OutputOptions
{
    public static Option<bool> Quiet() => new("--quiet", "-q") { Description = "Print only the result and errors: no progress, no log lines" };

    public static Option<bool> Json(string what = "the result") => new("--json") { Description = $"Print {what} as JSON on stdout" };
}
