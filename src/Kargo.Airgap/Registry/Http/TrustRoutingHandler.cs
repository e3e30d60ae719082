namespace Kargo.Airgap.Registry.Http;

/// <summary>Sends a request to an --insecure-registry host through the pool that skips certificate checks, every other through the checking one.</summary>
internal sealed class TrustRoutingHandler(InsecureHosts insecure, HttpMessageHandler verifying, HttpMessageHandler unverified) : HttpMessageHandler
{
    private readonly HttpMessageInvoker _verifying = new(verifying);
    private readonly HttpMessageInvoker _unverified = new(unverified);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        (request.RequestUri is { } uri && insecure.IsInsecure(uri) ? _unverified : _verifying).SendAsync(request, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _verifying.Dispose();
            _unverified.Dispose();
        }
        base.Dispose(disposing);
    }
}
