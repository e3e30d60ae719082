namespace Kargo.Airgap;

/// <summary>
/// Where a long job says how far it is, phase by phase, in bytes (writing a bundle, verifying one).
/// The programs show it as progress bars on a terminal, or a line per finished phase elsewhere.
/// </summary>
public interface IPhaseProgress
{
    /// <summary>A phase starts with this many bytes to go; the returned progress takes each chunk done.</summary>
    IProgress<long> Begin(string phase, long totalBytes);

    /// <summary>The phase is over: all of it done, or (verify) all of it checked, whatever the checks found.</summary>
    void Complete(string phase);
}

/// <summary>Reports each chunk to two progress sinks.</summary>
public sealed class BothProgress(IProgress<long>? first, IProgress<long>? second) : IProgress<long>
{
    public void Report(long value)
    {
        first?.Report(value);
        second?.Report(value);
    }
}
