namespace Kargo.Airgap;

/// <summary>The long phases that report progress, as the programs name them to the user.</summary>
public static class PhaseNames
{
    public const string Build = "build";
    public const string Verify = "verify";
    public const string Push = "push";
}
