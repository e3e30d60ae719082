namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// A network namespace with only the loopback interface (ip netns): a process run in it has no
/// route anywhere, so whatever tries the network fails. Removed when the test ends.
/// </summary>
public sealed class NetworkNamespace : IAsyncDisposable
{
    public string Name { get; } = $"kargo-test-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Why a namespace cannot be made here (not root, no ip), or null when it can.</summary>
    public static string? Unavailable()
    {
        if (Environment.UserName != "root")
        {
            return "ip netns needs root";
        }
        return File.Exists("/usr/sbin/ip") || File.Exists("/sbin/ip") || File.Exists("/usr/bin/ip") ? null : "ip (iproute2) is not installed";
    }

    public static async Task<NetworkNamespace> CreateAsync()
    {
        var ns = new NetworkNamespace();
        await ProcessRunner.CheckedAsync("ip", "netns", "add", ns.Name);
        await ProcessRunner.CheckedAsync("ip", "netns", "exec", ns.Name, "ip", "link", "set", "lo", "up");
        return ns;
    }

    public Task<ProcessResult> RunAsync(string program, params string[] args) => ProcessRunner.RunAsync("ip", ["netns", "exec", Name, program, .. args], timeout: TimeSpan.FromMinutes(5));

    public async ValueTask DisposeAsync() => await ProcessRunner.RunAsync("ip", ["netns", "delete", Name]);
}

/// <summary>A test that needs a network namespace: skipped, saying why, where none can be made.</summary>
public sealed class NetnsFactAttribute : FactAttribute
{
    public NetnsFactAttribute()
    {
        if (NetworkNamespace.Unavailable() is { } why)
        {
            Skip = $"no network namespace here: {why}";
        }
    }
}

/// <summary>
/// The end-to-end test against a real cluster: runs only when KARGO_E2E_KUBECONFIG names one
/// (with KARGO_E2E_BUNDLE and KARGO_E2E_PUB for a real bundle whose images that cluster can pull).
/// </summary>
public sealed class E2EFactAttribute : FactAttribute
{
    public E2EFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KARGO_E2E_KUBECONFIG")))
        {
            Skip = "set KARGO_E2E_KUBECONFIG (and KARGO_E2E_BUNDLE, KARGO_E2E_PUB) to run the install against a real cluster";
        }
    }
}
