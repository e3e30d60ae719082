namespace Kargo.Airgap.Bundle;

public enum SignatureState
{
    /// <summary>Signed by one of the trusted keys.</summary>
    Verified,

    /// <summary>No signature entry.</summary>
    Unsigned,

    /// <summary>Not checked: --insecure-skip-signature.</summary>
    Skipped,

    /// <summary>Signed, but by a key none of the trusted ones is (the inventory names its fingerprint).</summary>
    UntrustedKey,

    /// <summary>Signed, by what the inventory says is a trusted key, but the signature does not match: the inventory was altered.</summary>
    Mismatch,
}

/// <summary>One thing wrong with a bundle: the entry (or "bundle", "signature") and what.</summary>
public sealed record VerifyFailure(string Entry, string Problem);

/// <summary>The outcome of one streaming pass over a bundle.</summary>
public sealed record VerifyReport
{
    public required string Bundle { get; init; }
    public required IReadOnlyList<string> Files { get; init; }
    public Inventory? Inventory { get; init; }
    public required SignatureState Signature { get; init; }

    /// <summary>The fingerprint of the trusted key that signed it, when verified; the one the inventory claims otherwise.</summary>
    public string? SignedBy { get; init; }

    public required IReadOnlyList<VerifyFailure> Failures { get; init; }
    public int EntriesVerified { get; init; }
    public long BytesVerified { get; init; }

    /// <summary>The inventory and signature entries' exact bytes, to keep beside an unpacked bundle.</summary>
    internal byte[]? InventoryBytes { get; init; }

    internal byte[]? SignatureBytes { get; init; }

    public bool Ok => Failures.Count == 0 && Signature is SignatureState.Verified or SignatureState.Skipped && Inventory is not null;
}
