using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Registry;

/// <summary>
/// A docker credential helper (<c>docker-credential-NAME</c>, as credsStore and credHelpers name
/// them), asked through its protocol: <c>get</c>, the server on stdin, JSON on stdout. Its output
/// is never shown: only the helper's name and its error text reach a message.
/// </summary>
public sealed class CredentialHelper(string name, string configuredIn, Func<string, string?> environment)
{
    public string Program => $"docker-credential-{name}";

    /// <summary>The credential the helper holds for a registry, or null when it has none ("credentials not found").</summary>
    public async Task<Credential?> GetAsync(string registry, CancellationToken cancellationToken)
    {
        var path = Locate() ?? throw new KargoException($"{configuredIn} names the credential helper '{name}', but {Program} is not on PATH; install it, or remove it from {configuredIn}");
        var info = new ProcessStartInfo(path, ["get"]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new KargoException($"{Program} (named in {configuredIn}) cannot be run: {e.Message}", e);
        }
        using var stop = cancellationToken.Register(() => process.Kill(entireProcessTree: true));
        // docker login stores Docker Hub under its v1 URL; every other registry under its host.
        await process.StandardInput.WriteAsync(registry == ImageReference.DockerHub ? "https://index.docker.io/v1/" : registry);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var (stdout, stderr) = (await output, await error);
        if (process.ExitCode != 0)
        {
            // The helpers say so on stdout ("credentials not found in native keychain") and exit 1.
            if ((stdout + stderr).Contains("credentials not found", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
            throw new KargoException($"{Program} (named in {configuredIn}) failed for {registry} (exit {process.ExitCode}): {Terminal.Printable(FirstLine(stderr.Length > 0 ? stderr : stdout))}");
        }
        return Parse(stdout, registry);
    }

    private Credential Parse(string stdout, string registry)
    {
        HelperAnswer? answer;
        try
        {
            answer = JsonSerializer.Deserialize(stdout, HelperJsonContext.Default.HelperAnswer);
        }
        catch (JsonException)
        {
            answer = null;
        }
        if (answer is not { Username: { } user, Secret: { } secret })
        {
            throw new KargoException($"{Program} (named in {configuredIn}) answered for {registry} with something other than the helper protocol's {{\"Username\", \"Secret\"}}");
        }
        if (user == "<token>")
        {
            throw new KargoException($"{Program} holds an identity token for {registry}, which kargo cannot use; log in with a username and password or an access token (docker login -u USER {registry})");
        }
        return new Credential(user, secret, Program);
    }

    private string? Locate()
    {
        foreach (var folder in (environment("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, Program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private static string FirstLine(string text) => text.Trim().Split('\n')[0].Trim();

    internal sealed record HelperAnswer(string? ServerURL, string? Username, string? Secret);
}

[JsonSerializable(typeof(CredentialHelper.HelperAnswer))]
internal sealed partial class HelperJsonContext : JsonSerializerContext;
