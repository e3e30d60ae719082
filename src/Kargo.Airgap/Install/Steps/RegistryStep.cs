using System.Net;
using Kargo.Airgap.Registry;

namespace Kargo.Airgap.Install.Steps;

/// <summary>
/// Makes the bundle's images pullable on the node: the embedded registry as a systemd service
/// reading /var/lib/kargo/registry, or a push into an existing registry (--registry).
/// </summary>
public sealed class RegistryStep(InstallOptions options) : IInstallStep
{
    public string Inputs => options.PushRegistry is { } push ? $"push into {push}" : $"serve on {options.RegistryAddress}";

    public const string ServiceName = "kargo-registry.service";
    public const string UnitPath = "/etc/systemd/system/" + ServiceName;

    public string Name => "registry";

    /// <summary>The registry the node's container runtime pulls through, as it reaches it.</summary>
    public static Uri MirrorEndpoint(InstallOptions options)
    {
        if (options.PushRegistry is { } host)
        {
            return new Uri($"{(options.PushOptions.InsecureRegistries.Contains(host) ? "http" : "https")}://{host}/");
        }
        var port = options.RegistryAddress.Port;
        var local = options.RegistryAddress.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : options.RegistryAddress.Address;
        return new Uri($"http://{new IPEndPoint(local, port)}/");
    }

    public IEnumerable<string> Plan(InstallContext context)
    {
        if (options.PushRegistry is { } host)
        {
            return [$"push every image of {HostRoot.RegistryFolder} into {host}"];
        }
        return [
            .. options.Launcher.BinaryToInstall is { } binary ? [$"write {RegistryLauncher.InstalledPath} (from {binary})"] : Array.Empty<string>(),
            $"write {UnitPath}: {ExecStart()}",
            .. Commands().Select(c => $"run: {c}"),
        ];
    }

    public async Task RunAsync(InstallContext context, CancellationToken cancellationToken)
    {
        if (options.PushRegistry is { } host)
        {
            using var client = new RegistryClient(options.PushOptions);
            var pushed = await new RegistryPusher(client, await LayoutCatalog.LoadAsync(context.Content), host)
                .PushAllAsync(image => context.Log($"pushed {image.Target}"), cancellationToken);
            context.Did($"pushed {pushed.Count} repositories into {host} ({pushed.Sum(p => p.Uploaded)} blobs uploaded)");
            return;
        }
        if (options.Launcher.BinaryToInstall is { } binary)
        {
            context.Copy(binary, RegistryLauncher.InstalledPath, HostRoot.Executable);
        }
        if (!context.Root.IsRecording && !Directory.Exists("/run/systemd/system"))
        {
            throw new KargoException($"this node does not run systemd, so {ServiceName} cannot start: start the registry another way ({ExecStart()}) and install with --registry {Reachable()} --insecure-registry {Reachable()}");
        }
        context.Write(UnitPath, Unit(), HostRoot.Readable);
        foreach (var command in Commands())
        {
            await context.RunAsync(command, cancellationToken);
        }
        if (!context.Root.IsRecording)
        {
            await WaitForRegistryAsync(context, cancellationToken);
        }
    }

    private string Reachable() => InstallContext.Reachable(options.RegistryAddress);

    private static IEnumerable<HostCommand> Commands() =>
    [
        new("systemctl", ["daemon-reload"]),
        new("systemctl", ["enable", ServiceName]),
        // restart, not start: a new bundle's content is read when the service starts.
        new("systemctl", ["restart", ServiceName]),
    ];

    private string ExecStart() => string.Join(' ', options.Launcher.Start.Concat(["serve", HostRoot.RegistryFolder, "--addr", options.RegistryAddress.ToString(), "--no-access-log"])
        .Select(w => w.Contains(' ', StringComparison.Ordinal) ? $"\"{w}\"" : w));

    private string Unit() => $"""
        # Written by kargo-offline install: the bundle's images, served read-only to k3s and the cluster.
        [Unit]
        Description=Kargo local OCI registry ({HostRoot.RegistryFolder})
        After=network.target
        Before=k3s.service k3s-agent.service

        [Service]
        ExecStart={ExecStart()}
        Restart=always
        RestartSec=2
        NoNewPrivileges=yes
        ProtectSystem=full
        PrivateTmp=yes

        [Install]
        WantedBy=multi-user.target

        """;

    private async Task WaitForRegistryAsync(InstallContext context, CancellationToken cancellationToken)
    {
        var probe = new Uri(MirrorEndpoint(options), "/v2/");
        if (!await AnswersAsync(probe, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(5), cancellationToken))
        {
            throw new KargoException($"{ServiceName} did not answer at {probe} within a minute: see 'journalctl -u {ServiceName}'");
        }
        context.Did($"{ServiceName} answers at {probe}");
    }

    /// <summary>
    /// Whether the URL answers 2xx within <paramref name="within"/>, asking again every half second.
    /// One slow answer (past <paramref name="perTry"/>) is a try that failed, not the end of waiting.
    /// </summary>
    internal static async Task<bool> AnswersAsync(Uri probe, TimeSpan within, TimeSpan perTry, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = perTry };
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(probe, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (Exception e) when (e is HttpRequestException || e is TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // not listening yet, or too slow this time
            }
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }
            await Task.Delay(500, cancellationToken);
        }
    }
}
