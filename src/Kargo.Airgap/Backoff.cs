namespace Kargo.Airgap;

/// <summary>
/// When to try again after a transient failure: a fixed number of attempts, each wait double the
/// one before. The request pipeline and the resuming blob copy both follow it.
/// </summary>
public sealed record Backoff(int MaxAttempts, TimeSpan FirstDelay)
{
    public static Backoff Default { get; } = new(4, TimeSpan.FromMilliseconds(250));

    /// <summary>True when attempt number <paramref name="attempt"/> (from 1) may be followed by another.</summary>
    public bool MayRetry(int attempt) => attempt < MaxAttempts;

    public Task WaitAsync(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(FirstDelay * (1 << Math.Min(attempt - 1, 16)), cancellationToken);

    /// <summary>A dropped or refused connection, not a cancellation.</summary>
    public static bool IsTransient(Exception e) => e is HttpRequestException or IOException;
}
