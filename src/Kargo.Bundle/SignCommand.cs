using System.CommandLine;
using Kargo.Airgap.Bundle;
using Kargo.Shared;

namespace Kargo.Bundle;

internal static class SignCommand
{
    public static Command Create(TextWriter stdout)
    {
        var bundle = new Argument<string>("BUNDLE") { Description = "The bundle file, or its first part" };
        var key = new Option<string>("--key") { Description = "The private key (PREFIX.key from keygen)", Required = true };
        var command = new Command("sign", "Sign a bundle in place: it is verified first, then its signature entry is written (replacing any earlier one).") { bundle, key };
        var json = OutputOptions.Json("the signed files and the key's fingerprint");
        command.Add(json);
        command.SetAction(async (parse, ct) =>
        {
            using var signingKey = KeygenCommand.LoadKey(parse.GetValue(key))!;
            var files = await BundleSigner.SignAsync(parse.GetValue(bundle)!, signingKey, ct);
            await stdout.WriteAsync(parse.GetValue(json)
                ? JsonOutput.Of(new SignJson(files, "signed", signingKey.Fingerprint), BundleCliJson.Default.SignJson)
                : $"signed {string.Join(", ", files)} with {signingKey.Fingerprint}\n");
            return CliHost.Success;
        });
        return command;
    }
}
