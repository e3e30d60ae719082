using System.Net;

namespace Kargo.Airgap.Registry.Http;

/// <summary>
/// Sends a request again after a dropped connection, a 5xx or a 429, waiting as the backoff says.
/// Only requests whose body can be sent twice are retried (none, bytes, or a file range).
/// </summary>
internal sealed class RetryHandler(Backoff backoff) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var repeatable = request.Content is null or ByteArrayContent or BlobRangeContent;
        for (var attempt = 1; ; attempt++)
        {
            var mayRetry = repeatable && backoff.MayRetry(attempt);
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, cancellationToken);
            }
            catch (Exception e) when (Backoff.IsTransient(e) && mayRetry && !cancellationToken.IsCancellationRequested)
            {
                await backoff.WaitAsync(attempt, cancellationToken);
                continue;
            }
            if (mayRetry && IsTransient(response.StatusCode))
            {
                response.Dispose();
                await backoff.WaitAsync(attempt, cancellationToken);
                continue;
            }
            return response;
        }
    }

    private static bool IsTransient(HttpStatusCode status) => (int)status >= 500 || status == HttpStatusCode.TooManyRequests;
}
