namespace Kargo.Airgap.Registry;

/// <summary>A username and secret for one registry. Its text form never shows the secret.</summary>
public sealed record Credential(string Username, string Secret, string Source)
{
    public override string ToString() => $"{Username} (from {Source})";

    /// <summary>USER:PASSWORD as given on a command line (the password may hold colons).</summary>
    public static Credential Parse(string pair, string source)
    {
        var colon = pair.IndexOf(':');
        return colon > 0 ? new Credential(pair[..colon], pair[(colon + 1)..], source) : throw new KargoException($"{source} must be USER:PASSWORD");
    }
}
