namespace Kargo.Airgap;

/// <summary>
/// A failure the user can act on: the message names what is wrong (file, line, reference)
/// and how to fix it. Programs print it without a stack trace and exit non-zero.
/// </summary>
public class KargoException : Exception
{
    public KargoException(string message) : base(message) { }

    public KargoException(string message, Exception inner) : base(message, inner) { }
}
