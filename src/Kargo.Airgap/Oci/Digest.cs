using System.Security.Cryptography;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Kargo.Airgap.Oci;

/// <summary>A content digest such as <c>sha256:e3b0…</c>, validated so it is safe to use in a path.</summary>
[JsonConverter(typeof(DigestJsonConverter))]
public readonly partial record struct Digest
{
    public string Algorithm { get; }
    public string Hex { get; }

    private Digest(string algorithm, string hex)
    {
        Algorithm = algorithm;
        Hex = hex;
    }

    public static Digest Parse(string value)
    {
        if (TryParse(value, out var digest))
        {
            return digest;
        }
        throw new KargoException($"invalid digest '{value}': expected sha256: followed by 64 lowercase hex digits");
    }

    public static bool TryParse(string? value, out Digest digest)
    {
        digest = default;
        if (value is null)
        {
            return false;
        }
        var match = DigestPattern().Match(value);
        if (!match.Success)
        {
            return false;
        }
        digest = match.Groups["sha256"].Success ? new Digest("sha256", match.Groups["sha256"].Value) : new Digest("sha512", match.Groups["sha512"].Value);
        return true;
    }

    public static Digest FromSha256(ReadOnlySpan<byte> hash) => new("sha256", Convert.ToHexStringLower(hash));

    public static Digest Compute(ReadOnlySpan<byte> content) => FromSha256(SHA256.HashData(content));

    /// <summary>The sha256 of a file, streamed.</summary>
    public static Digest ComputeFile(string path)
    {
        using var stream = File.OpenRead(path);
        return FromSha256(SHA256.HashData(stream));
    }

    public static async Task<Digest> ComputeFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return FromSha256(await SHA256.HashDataAsync(stream, cancellationToken));
    }

    public override string ToString() => $"{Algorithm}:{Hex}";

    /// <summary>Only sha256 content is stored: it is what every registry in use writes.</summary>
    public void EnsureSha256()
    {
        if (Algorithm != "sha256")
        {
            throw new KargoException($"digest {this} uses {Algorithm}; only sha256 content is supported");
        }
    }

    /// <summary>Each algorithm with its own length: sha256 is 64 hex digits, never 128.</summary>
    [GeneratedRegex("^(?:sha256:(?<sha256>[a-f0-9]{64})|sha512:(?<sha512>[a-f0-9]{128}))\\z")]
    private static partial Regex DigestPattern();
}
