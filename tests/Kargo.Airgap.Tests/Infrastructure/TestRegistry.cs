using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// The real CNCF distribution registry (Debian's docker-registry), started on 127.0.0.1 with a
/// port of its own choosing, its storage in a temp folder, and stopped when the test ends.
/// </summary>
public sealed partial class TestRegistry : IDisposable
{
    public const string User = "kargo";
    public const string Password = "s3cret-pass";

    private readonly Process _process;
    private readonly TempDir _dir = new();
    private readonly StringBuilder _log = new();

    public string Host { get; }
    public string DataDir => _dir["data"];
    public TestCertificates? Tls { get; }
    public TokenServer? Tokens { get; }

    /// <summary>Basic auth is on (htpasswd, or through the token server).</summary>
    public bool RequiresAuth { get; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public TestRegistry(bool htpasswd = false, bool tls = false, bool tokenAuth = false)
    {
        var config = new StringBuilder()
            .AppendLine("version: 0.1")
            .AppendLine("log: {level: info, accesslog: {disabled: false}}")
            .AppendLine($"storage: {{filesystem: {{rootdirectory: {DataDir}}}, delete: {{enabled: true}}}}")
            .AppendLine("http:")
            .AppendLine("  addr: 127.0.0.1:0");
        if (tls)
        {
            Tls = TestCertificates.Create(_dir.Path);
            config.AppendLine($"  tls: {{certificate: {Tls.CertFile}, key: {Tls.KeyFile}}}");
        }
        if (htpasswd)
        {
            var file = _dir["htpasswd"];
            ProcessRunner.CheckedAsync("htpasswd", "-Bbc", file, User, Password).GetAwaiter().GetResult();
            config.AppendLine($"auth: {{htpasswd: {{realm: kargo-test, path: {file}}}}}");
        }
        if (tokenAuth)
        {
            Tokens = new TokenServer(_dir.Path, User, Password);
            config.AppendLine($"auth: {{token: {{realm: {Tokens.Realm}, service: {TokenServer.Service}, issuer: {TokenServer.Issuer}, rootcertbundle: {Tokens.CertificateFile}}}}}");
        }
        RequiresAuth = htpasswd || tokenAuth;
        File.WriteAllText(_dir["config.yml"], config.ToString());

        var info = new ProcessStartInfo("docker-registry") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("serve");
        info.ArgumentList.Add(_dir["config.yml"]);
        _process = Process.Start(info)!;
        var port = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }
            lock (_log)
            {
                _log.AppendLine(e.Data);
            }
            if (ListeningPattern().Match(e.Data) is { Success: true } match)
            {
                port.TrySetResult(match.Groups[1].Value);
            }
        }
        _process.ErrorDataReceived += OnLine;
        _process.OutputDataReceived += OnLine;
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        if (!port.Task.Wait(TimeSpan.FromSeconds(20)))
        {
            Dispose();
            throw new InvalidOperationException($"docker-registry did not start: {Log}");
        }
        Host = $"127.0.0.1:{port.Task.Result}";
    }

    /// <summary>The registry's file for a blob, to damage it on purpose.</summary>
    public string BlobDataPath(Kargo.Airgap.Oci.Digest digest) =>
        Path.Combine(DataDir, "docker", "registry", "v2", "blobs", "sha256", digest.Hex[..2], digest.Hex, "data");

    /// <summary>
    /// GET requests the registry logged for a path fragment (its access log), once the log has
    /// been quiet for a moment: lines arrive from the registry's output asynchronously.
    /// </summary>
    public async Task<int> RequestCountAsync(string fragment)
    {
        var count = Count();
        for (var quiet = 0; quiet < 3; quiet++)
        {
            await Task.Delay(100);
            var now = Count();
            quiet = now == count ? quiet : 0;
            count = now;
        }
        return count;

        int Count() => Log.Split('\n').Count(l => l.Contains("\"GET ", StringComparison.Ordinal) && l.Contains(fragment, StringComparison.Ordinal));
    }

    public void Dispose()
    {
        ProcessRunner.Stop(_process);
        Tokens?.Dispose();
        _dir.Dispose();
    }

    [GeneratedRegex(@"listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningPattern();
}
