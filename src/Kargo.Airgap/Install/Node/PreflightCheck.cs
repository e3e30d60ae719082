namespace Kargo.Airgap.Install.Node;

public enum CheckOutcome
{
    Pass,
    Warn,
    Fail,
}

/// <summary>One preflight line: what was checked, how it came out, and what to do about it.</summary>
public sealed record PreflightCheck(string Name, CheckOutcome Outcome, string Message)
{
    public override string ToString() => $"{Outcome.ToString().ToUpperInvariant(),-4} {Name}: {Message}";

    public static PreflightCheck Pass(string name, string message) => new(name, CheckOutcome.Pass, message);

    public static PreflightCheck Warn(string name, string message) => new(name, CheckOutcome.Warn, message);

    public static PreflightCheck Fail(string name, string message) => new(name, CheckOutcome.Fail, message);
}
