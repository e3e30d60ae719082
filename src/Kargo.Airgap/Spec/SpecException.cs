namespace Kargo.Airgap.Spec;

/// <summary>A spec or lock file that is not right, with the place: <c>file:line:column: what</c>.</summary>
public sealed class SpecException(string file, int line, int column, string message)
    : KargoException($"{file}:{line}:{column}: {message}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
}
