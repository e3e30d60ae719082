using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// An admission webhook's pod, stood in: HTTPS with the serving certificate the real pod would
/// mount, answering every AdmissionReview "allowed" in the version asked
/// (k8s.io/api/admission/v1 and v1beta1). The API server reaches it as it reaches a real one: its
/// Service's Endpoints name this machine's own non-loopback address (Endpoints refuse loopback;
/// k8s.io/apiserver/pkg/util/proxy/proxy.go ResolveEndpoint picks the endpoint port by the
/// service port's name), and TLS is checked against SERVICE.NAMESPACE.svc.
/// </summary>
public sealed class StandInWebhook : IAsyncDisposable
{
    private readonly WebApplication _app;

    public IPAddress Address { get; }
    public int Port { get; }
    public int Calls => _calls;
    private int _calls;

    private StandInWebhook(WebApplication app, IPAddress address, int port)
    {
        _app = app;
        Address = address;
        Port = port;
    }

    /// <summary>An address of this machine that Endpoints accept: IPv4, up, neither loopback nor link-local.</summary>
    public static IPAddress HostAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a) && !a.ToString().StartsWith("169.254.", StringComparison.Ordinal))
        ?? throw new InvalidOperationException("this machine has no non-loopback IPv4 address, which a webhook's Endpoints need");

    public static async Task<StandInWebhook> StartAsync(string certificatePem, string keyPem)
    {
        using var pem = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var address = HostAddress();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, 0, listen => listen.UseHttps(certificate)));
        var app = builder.Build();
        StandInWebhook? webhook = null;
        app.Run(async context =>
        {
            Interlocked.Increment(ref webhook!._calls);
            var review = await JsonNode.ParseAsync(context.Request.Body);
            var answer = new JsonObject
            {
                ["apiVersion"] = review?["apiVersion"]?.ToString() ?? "admission.k8s.io/v1",
                ["kind"] = "AdmissionReview",
                ["response"] = new JsonObject { ["uid"] = review?["request"]?["uid"]?.ToString(), ["allowed"] = true },
            };
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer.ToJsonString());
        });
        await app.StartAsync();
        var bound = app.Services.GetService(typeof(IServer)) is IServer s ? s.Features.Get<IServerAddressesFeature>()!.Addresses.First() : throw new InvalidOperationException("Kestrel has no address");
        webhook = new StandInWebhook(app, address, new Uri(bound).Port);
        return webhook;
    }

    /// <summary>A certificate for these DNS names signed by <paramref name="issuer"/>, or self-signed (a CA itself) without one: (cert PEM, key PEM).</summary>
    public static (string Certificate, string Key) Issue(IReadOnlyList<string> dnsNames, X509Certificate2? issuer = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsNames.FirstOrDefault() ?? "stand-in"}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            san.AddDnsName(name);
        }
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(issuer is null, false, 0, true));
        if (issuer is null)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        }
        using var certificate = issuer is null
            ? request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2))
            : request.Create(issuer, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
