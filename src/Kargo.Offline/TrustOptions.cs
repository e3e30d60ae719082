using System.CommandLine;
using Kargo.Airgap.Bundle;

namespace Kargo.Offline;

/// <summary>--pub and --insecure-skip-signature, shared by every command that reads a bundle.</summary>
internal sealed class TrustOptions
{
    private readonly Option<string[]> _publicKeys = new("--pub")
    {
        Description = "A trusted public key (PREFIX.pub from kargo-bundle keygen); repeat to trust several",
    };

    private readonly Option<bool> _skipSignature = new("--insecure-skip-signature")
    {
        Description = "Check the entries without checking who signed the inventory. Anyone could have written such a bundle",
    };

    public void AddTo(Command command)
    {
        command.Add(_publicKeys);
        command.Add(_skipSignature);
        command.Validators.Add(result =>
        {
            var keys = result.GetValue(_publicKeys) ?? [];
            if (keys.Length == 0 && !result.GetValue(_skipSignature))
            {
                result.AddError("--pub KEY.pub is required: the bundle's signature is checked against it (or, knowingly, --insecure-skip-signature)");
            }
        });
    }

    /// <summary>The trusted keys, or null when the signature check is skipped (said loudly on stderr).</summary>
    public TrustedKeys? Load(ParseResult parse, TextWriter stderr)
    {
        if (parse.GetValue(_skipSignature))
        {
            stderr.WriteLine("WARNING: --insecure-skip-signature: the signature is NOT checked; this proves only that the entries match the inventory, not who wrote them");
            return null;
        }
        return TrustedKeys.Load(parse.GetValue(_publicKeys) ?? []);
    }
}
