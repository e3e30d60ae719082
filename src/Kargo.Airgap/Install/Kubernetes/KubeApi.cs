using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using k8s;

namespace Kargo.Airgap.Install.Kubernetes;

/// <summary>An answer from the API server that was not a success, with its Status message.</summary>
public sealed class KubeApiException(HttpStatusCode status, string message) : KargoException(message)
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>Worth trying again: the server or a webhook behind it is not ready yet.</summary>
    public bool IsTransient => (int)Status >= 500 || Status == HttpStatusCode.TooManyRequests
        || Message.Contains("failed calling webhook", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The few Kubernetes API calls an install needs, made through KubernetesClient's configured
/// HTTP pipeline (kubeconfig, TLS, credentials): GET, server-side apply, discovery. Manifests are
/// applied as the YAML they are, so no field is lost to a typed model of an unknown kind.
/// </summary>
public sealed class KubeApi : IDisposable
{
    private readonly k8s.Kubernetes _client;

    private KubeApi(k8s.Kubernetes client)
    {
        _client = client;
    }

    public Uri Server => _client.BaseUri;

    public static KubeApi FromKubeconfig(string path)
    {
        if (!File.Exists(path))
        {
            throw new KargoException($"kubeconfig {path} does not exist: is the cluster installed (k3s writes it when it starts)?");
        }
        try
        {
            return new KubeApi(new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path)));
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or YamlDotNet.Core.YamlException)
        {
            throw new KargoException($"kubeconfig {path} cannot be used: {e.Message}", e);
        }
    }

    /// <summary>The object at an API path, or null when there is none (404).</summary>
    public async Task<JsonNode?> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        return await ReadAsync(response, $"GET {path}", cancellationToken);
    }

    /// <summary>Server-side apply of one object's YAML: the fields it names become the manager's.</summary>
    /// <param name="path">The object's API path.</param>
    /// <param name="yaml">The object (JSON is YAML too).</param>
    /// <param name="fieldManager">Who owns the fields it names.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <param name="dryRun">Only what the object would become (every admission step run, nothing stored).</param>
    public async Task<JsonNode> ApplyAsync(string path, string yaml, string fieldManager, CancellationToken cancellationToken, bool dryRun = false)
    {
        var content = new StringContent(yaml, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/apply-patch+yaml");
        using var response = await SendAsync(HttpMethod.Patch, $"{path}?fieldManager={Uri.EscapeDataString(fieldManager)}&force=true{(dryRun ? "&dryRun=All" : "")}", content, cancellationToken);
        return await ReadAsync(response, $"apply {path}", cancellationToken);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_client.BaseUri.ToString().TrimEnd('/') + path)) { Content = content };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (_client.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, cancellationToken);
        }
        try
        {
            return await _client.HttpClient.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new KubeApiException(HttpStatusCode.ServiceUnavailable, $"the API server {_client.BaseUri} cannot be reached: {e.Message}");
        }
    }

    private static async Task<JsonNode> ReadAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonNode? json = null;
        try
        {
            json = body.Length > 0 ? JsonNode.Parse(body) : null;
        }
        catch (System.Text.Json.JsonException)
        {
        }
        if (!response.IsSuccessStatusCode)
        {
            var message = json?["message"]?.GetValue<string>() ?? body.Trim();
            throw new KubeApiException(response.StatusCode, $"{what}: {(int)response.StatusCode} {message}");
        }
        return json ?? throw new KubeApiException(response.StatusCode, $"{what}: the answer is not JSON");
    }

    public void Dispose() => _client.Dispose();
}
