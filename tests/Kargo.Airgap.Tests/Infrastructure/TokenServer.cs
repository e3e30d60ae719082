using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// A small token endpoint for the real registry's token auth: it checks basic credentials
/// and issues ES256 JWTs carrying its certificate (x5c), which the registry trusts through
/// its rootcertbundle — the flow Docker Hub, quay.io and ghcr.io use.
/// </summary>
public sealed class TokenServer : IDisposable
{
    public const string Service = "kargo-test-registry";
    public const string Issuer = "kargo-test-issuer";

    private readonly HttpListener _listener = new();
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _certificate;
    private readonly string _user;
    private readonly string _password;
    private int _issued;

    public string Realm { get; }
    public string CertificateFile { get; }

    /// <summary>Tokens handed out so far.</summary>
    public int Issued => _issued;

    public TokenServer(string folder, string user, string password)
    {
        _user = user;
        _password = password;
        var request = new CertificateRequest("CN=kargo token issuer", _key, HashAlgorithmName.SHA256);
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        CertificateFile = Path.Combine(folder, "token-issuer.pem");
        File.WriteAllText(CertificateFile, _certificate.ExportCertificatePem());

        var port = Loopback.FreePort();
        Realm = $"http://127.0.0.1:{port}/token";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            var scope = context.Request.QueryString["scope"] ?? "";
            var authorized = Authorized(context.Request.Headers["Authorization"]);
            if (!authorized)
            {
                context.Response.StatusCode = 401;
                context.Response.Close();
                continue;
            }
            var token = Token(scope);
            Interlocked.Increment(ref _issued);
            var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { token, access_token = token, expires_in = 300 }));
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }

    private bool Authorized(string? header)
    {
        if (header is null || !header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            return false;
        }
        var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..]));
        return decoded == $"{_user}:{_password}";
    }

    private string Token(string scope)
    {
        var access = new JsonArray();
        var parts = scope.Split(':');
        if (parts.Length == 3)
        {
            access.Add(new JsonObject
            {
                ["type"] = parts[0],
                ["name"] = parts[1],
                ["actions"] = new JsonArray([.. parts[2].Split(',').Select(a => (JsonNode)a)]),
            });
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new JsonObject { ["typ"] = "JWT", ["alg"] = "ES256", ["x5c"] = new JsonArray(Convert.ToBase64String(_certificate.RawData)) };
        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["sub"] = _user,
            ["aud"] = Service,
            ["exp"] = now + 300,
            ["nbf"] = now - 10,
            ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = access,
        };
        var signingInput = $"{Base64Url(header.ToJsonString())}.{Base64Url(claims.ToJsonString())}";
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256);
        return $"{signingInput}.{Base64Url(signature)}";
    }

    private static string Base64Url(string text) => Base64Url(Encoding.UTF8.GetBytes(text));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose()
    {
        _listener.Close();
        _key.Dispose();
        _certificate.Dispose();
    }
}
