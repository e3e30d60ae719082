using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kargo.Airgap.Oci;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kargo.Airgap.Registry;

/// <summary>
/// <c>kargo-offline serve</c>: a read-only OCI distribution server over an unpacked layout, on
/// Kestrel. Manifests are served as their exact stored bytes with their media type and digest,
/// blobs streamed from disk with Range support. Every file it opens is named by a validated digest
/// that the catalog knows; a request never turns into a path of its own.
/// </summary>
public sealed partial class RegistryServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly LayoutCatalog _catalog;
    private readonly CheckedBlobs _checked;

    private RegistryServer(WebApplication app, LayoutCatalog catalog)
    {
        _app = app;
        _catalog = catalog;
        _checked = new CheckedBlobs(catalog.Layout);
    }

    /// <summary>The address actually bound (with the real port when 0 was asked).</summary>
    public Uri Address { get; private set; } = new("http://127.0.0.1/");

    public static async Task<RegistryServer> StartAsync(LayoutCatalog catalog, ServerOptions options, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(options.Address, listen =>
            {
                if (options.Certificate is { } certificate)
                {
                    listen.UseHttps(certificate);
                }
            });
        });
        var app = builder.Build();
        var server = new RegistryServer(app, catalog);
        if (options.AccessLog is { } log)
        {
            app.Use(async (context, next) =>
            {
                var clock = Stopwatch.StartNew();
                await next(context);
                log($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString} {context.Response.StatusCode} {context.Response.ContentLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} {clock.ElapsedMilliseconds}ms");
            });
        }
        app.Map("/v2/{**rest}", server.HandleAsync);
        app.Map("/v2", server.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new KargoException($"cannot listen on {options.Address}: {e.Message}. Is another registry running there? Choose another --addr", e);
        }
        var bound = app.Services.GetService(typeof(Microsoft.AspNetCore.Hosting.Server.IServer)) is Microsoft.AspNetCore.Hosting.Server.IServer kestrelServer
            ? kestrelServer.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            : null;
        server.Address = new Uri((bound ?? $"http://{options.Address}").Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/");
        return server;
    }

    /// <summary>Stops taking requests and lets running ones finish.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        var method = context.Request.Method;
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method))
        {
            await ErrorAsync(context, HttpStatusCode.MethodNotAllowed, "UNSUPPORTED", "this registry is read-only: it serves what was unpacked from verified bundles");
            return;
        }
        var rest = (context.Request.RouteValues["rest"] as string ?? "").TrimEnd('/');
        if (rest.Length == 0)
        {
            response.ContentType = "application/json";
            await response.WriteAsync("{}");
            return;
        }
        if (rest == "_catalog")
        {
            await JsonAsync(context, new CatalogJson { Repositories = [.. _catalog.Repositories.Select(r => r.Name)] });
            return;
        }
        var route = RoutePattern().Match(rest);
        if (!route.Success)
        {
            await ErrorAsync(context, HttpStatusCode.NotFound, "UNSUPPORTED", "not a distribution API path");
            return;
        }
        var name = route.Groups["name"].Value;
        if (!RepositoryPattern().IsMatch(name))
        {
            await ErrorAsync(context, HttpStatusCode.BadRequest, "NAME_INVALID", "invalid repository name");
            return;
        }
        var repository = _catalog.Find(name, context.Request.Query["ns"].FirstOrDefault());
        if (repository is null)
        {
            await ErrorAsync(context, HttpStatusCode.NotFound, "NAME_UNKNOWN", $"repository {name} is not in this registry");
            return;
        }
        switch (route.Groups["kind"].Value)
        {
            case "tags/list":
                await JsonAsync(context, new TagsJson { Name = name, Tags = [.. repository.Tags.Keys] });
                break;
            case "manifests":
                await ManifestAsync(context, repository, route.Groups["reference"].Value);
                break;
            default:
                await BlobAsync(context, repository, route.Groups["reference"].Value);
                break;
        }
    }

    private async Task ManifestAsync(HttpContext context, CatalogRepository repository, string reference)
    {
        Descriptor? descriptor;
        if (reference.Contains(':'))
        {
            if (!Digest.TryParse(reference, out var digest))
            {
                await ErrorAsync(context, HttpStatusCode.BadRequest, "DIGEST_INVALID", "invalid digest");
                return;
            }
            descriptor = repository.Manifests.GetValueOrDefault(digest);
        }
        else
        {
            descriptor = repository.Tags.GetValueOrDefault(reference);
        }
        if (descriptor is null)
        {
            await ErrorAsync(context, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN", $"manifest {reference} is not in {repository.Name}");
            return;
        }
        if (!await _checked.IsIntactAsync(descriptor.Digest))
        {
            await DamagedAsync(context, descriptor.Digest);
            return;
        }
        context.Response.Headers["Docker-Content-Digest"] = descriptor.Digest.ToString();
        context.Response.Headers.ETag = $"\"{descriptor.Digest}\"";
        await Results.File(_catalog.Layout.BlobPath(descriptor.Digest), descriptor.MediaType).ExecuteAsync(context);
    }

    private async Task BlobAsync(HttpContext context, CatalogRepository repository, string reference)
    {
        if (!Digest.TryParse(reference, out var digest))
        {
            await ErrorAsync(context, HttpStatusCode.BadRequest, "DIGEST_INVALID", "invalid digest");
            return;
        }
        if (!repository.Blobs.Contains(digest) && !repository.Manifests.ContainsKey(digest))
        {
            await ErrorAsync(context, HttpStatusCode.NotFound, "BLOB_UNKNOWN", $"blob {digest} is not in {repository.Name}");
            return;
        }
        if (!await _checked.IsIntactAsync(digest))
        {
            await DamagedAsync(context, digest);
            return;
        }
        context.Response.Headers["Docker-Content-Digest"] = digest.ToString();
        context.Response.Headers.ETag = $"\"{digest}\"";
        context.Response.Headers.CacheControl = "max-age=31536000";
        if (HttpMethods.IsGet(context.Request.Method) && context.Request.Headers.Range.Count == 0)
        {
            await BlobFile.SendAsync(context, _catalog.Layout.BlobPath(digest));
            return;
        }
        await Results.File(_catalog.Layout.BlobPath(digest), "application/octet-stream", enableRangeProcessing: true).ExecuteAsync(context);
    }

    /// <summary>A blob whose bytes no longer hash to its name: never sent; the client sees it as missing.</summary>
    private Task DamagedAsync(HttpContext context, Digest digest) =>
        ErrorAsync(context, HttpStatusCode.NotFound, "BLOB_UNKNOWN", $"{digest} is damaged on disk in {_catalog.Layout.Root} (its bytes no longer match their digest): unpack the bundle again");

    private static async Task ErrorAsync(HttpContext context, HttpStatusCode status, string code, string message)
    {
        context.Response.StatusCode = (int)status;
        var body = new ErrorsJson { Errors = [new ErrorJson { Code = code, Message = message }] };
        await JsonAsync(context, body, status);
    }

    private static async Task JsonAsync<T>(HttpContext context, T value, HttpStatusCode status = HttpStatusCode.OK)
    {
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "application/json";
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, typeof(T), ServerJsonContext.Default);
        context.Response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(bytes);
        }
    }

    /// <summary>NAME/manifests/REF, NAME/blobs/DIGEST or NAME/tags/list; NAME may hold slashes.</summary>
    [GeneratedRegex("^(?<name>.+?)/(?:(?<kind>manifests|blobs)/(?<reference>[^/]+)|(?<kind>tags/list))\\z")]
    private static partial Regex RoutePattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*\z")]
    private static partial Regex RepositoryPattern();
}
