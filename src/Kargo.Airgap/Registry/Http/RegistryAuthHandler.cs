using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Kargo.Airgap.Registry.Http;

/// <summary>The registry a request goes to, as users name it, and the token scopes it needs.</summary>
internal sealed record RegistryScope(string Registry, string Repository, IReadOnlyList<string> Scopes)
{
    public static readonly HttpRequestOptionsKey<RegistryScope> Key = new("kargo.registry-scope");

    public string CacheKey => $"{Registry} {string.Join(' ', Scopes)}";
}

/// <summary>
/// Answers a registry's 401 challenge: a bearer token from its token service (with the user's
/// credential, if any, as basic auth there), or basic auth where the registry asks for it; the
/// answer is kept for later requests of the same scopes. A request without a
/// <see cref="RegistryScope"/> (a file download) is passed on untouched: credentials go only to
/// the registry they belong to. When no answer is possible the 401 is returned to the caller.
/// </summary>
internal sealed class RegistryAuthHandler(RegistryCredentials credentials) : DelegatingHandler
{
    private readonly ConcurrentDictionary<string, AuthenticationHeaderValue> _authorizations = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Options.TryGetValue(RegistryScope.Key, out var scope))
        {
            return await base.SendAsync(request, cancellationToken);
        }
        if (_authorizations.TryGetValue(scope.CacheKey, out var known))
        {
            request.Headers.Authorization = known;
        }
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized
            || await AuthorizeAsync(scope, AuthChallenge.From(response.Headers), cancellationToken) is not { } authorization)
        {
            return response;
        }
        response.Dispose();
        _authorizations[scope.CacheKey] = authorization;
        request.Headers.Authorization = authorization;
        return await base.SendAsync(request, cancellationToken);
    }

    private async Task<AuthenticationHeaderValue?> AuthorizeAsync(RegistryScope scope, AuthChallenge? challenge, CancellationToken cancellationToken)
    {
        var credential = await credentials.FindAsync(scope.Registry, scope.Repository, cancellationToken);
        if (challenge is { IsBearer: true } && challenge["realm"] is { } realm)
        {
            return await FetchTokenAsync(scope, challenge, realm, credential, cancellationToken) is { } token ? new AuthenticationHeaderValue("Bearer", token) : null;
        }
        return challenge is { IsBasic: true } && credential is not null ? Basic(credential) : null;
    }

    /// <summary>A token for the scopes, or null when the token service refuses the credential.</summary>
    private async Task<string?> FetchTokenAsync(RegistryScope scope, AuthChallenge challenge, string realm, Credential? credential, CancellationToken cancellationToken)
    {
        var query = new StringBuilder("?").AppendJoin('&', scope.Scopes.Select(s => "scope=" + Uri.EscapeDataString(s)));
        if (challenge["service"] is { } service)
        {
            query.Append("&service=").Append(Uri.EscapeDataString(service));
        }
        if (!Uri.TryCreate(realm, UriKind.Absolute, out var realmUri) || realmUri.Scheme is not ("https" or "http"))
        {
            throw new RegistryException($"{scope.Registry} names a token realm '{realm}' that is not an http(s) URL");
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(realmUri.GetLeftPart(UriPartial.Path) + query));
        if (credential is not null)
        {
            request.Headers.Authorization = Basic(credential);
        }
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new RegistryException($"cannot reach the token service of {scope.Registry} at {realmUri.GetLeftPart(UriPartial.Authority)}: {e.Message}", null, e);
        }
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                return null;
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new RegistryException($"the token service of {scope.Registry} answered {(int)response.StatusCode} {response.ReasonPhrase}", response.StatusCode);
            }
            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            foreach (var name in new[] { "token", "access_token" })
            {
                if (json.RootElement.TryGetProperty(name, out var token) && token.GetString() is { Length: > 0 } value)
                {
                    return value;
                }
            }
            throw new RegistryException($"the token service of {scope.Registry} answered without a token");
        }
    }

    private static AuthenticationHeaderValue Basic(Credential credential) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Secret}")));
}
