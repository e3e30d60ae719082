using System.CommandLine;
using Kargo.Airgap.Bundle;
using Kargo.Shared;

namespace Kargo.Bundle;

internal static class KeygenCommand
{
    public static Command Create(TextWriter stdout)
    {
        var output = new Option<string>("--out") { Description = "Writes PREFIX.key (private, mode 0600) and PREFIX.pub (public, for the offline nodes)", Required = true };
        var command = new Command("keygen", $"""
            Create an ECDSA P-256 signing key pair. The private key is PKCS#8 PEM, encrypted with the passphrase
            in {SigningKey.PasswordVariable} when it is set. Existing files are never overwritten.
            """);
        var json = OutputOptions.Json("the key's files and fingerprint");
        command.Add(output);
        command.Add(json);
        command.SetAction(async parse =>
        {
            var (privatePath, publicPath, fingerprint) = SigningKey.Generate(parse.GetValue(output)!, Environment.GetEnvironmentVariable(SigningKey.PasswordVariable));
            if (parse.GetValue(json))
            {
                await stdout.WriteAsync(JsonOutput.Of(new KeygenJson(privatePath, publicPath, fingerprint), BundleCliJson.Default.KeygenJson));
                return CliHost.Success;
            }
            await stdout.WriteLineAsync($"wrote {privatePath} (keep it secret) and {publicPath} (give it to the offline nodes)");
            await stdout.WriteLineAsync($"fingerprint: {fingerprint}");
            return CliHost.Success;
        });
        return command;
    }

    /// <summary>Loads --key for build and sign, with the passphrase from the environment.</summary>
    public static SigningKey? LoadKey(string? path) =>
        path is null ? null : SigningKey.Load(path, Environment.GetEnvironmentVariable(SigningKey.PasswordVariable));
}
