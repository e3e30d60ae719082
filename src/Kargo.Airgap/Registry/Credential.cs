namespace Kargo.Airgap.Registry;

/// <summary>A username and secret for one registry. Its text form never shows the secret.</summary>
public sealed record Credential(string Username, string Secret, string Source)
{
    public override string ToString() => $"{Username} (from {Source})";
}
