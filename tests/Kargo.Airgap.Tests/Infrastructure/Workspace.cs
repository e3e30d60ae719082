namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>A temp folder with a spec, a lock path, a cache and an output folder: one user's build.</summary>
public sealed class Workspace : IDisposable
{
    private readonly TempDir _dir = new();

    public string Spec => _dir["bundle.yaml"];
    public string Lock => _dir["images.lock"];
    public string Cache => _dir["cache"];
    public string Output => _dir["out.kargo"];
    public string this[string relative] => _dir[relative];

    public Workspace WriteSpec(IEnumerable<string> images, string platforms = "[linux/amd64]", string name = "test-bundle", string version = "1.0.0")
    {
        var lines = string.Join("\n", images.Select(i => $"    - {i}"));
        File.WriteAllText(Spec, $"""
            apiVersion: kargo.dev/v1alpha1
            kind: Bundle
            metadata:
              name: {name}
              version: {version}
            spec:
              platforms: {platforms}
              images:
            {lines}

            """);
        return this;
    }

    /// <summary>kargo-bundle build with this workspace's spec, lock, cache and output, plus extra arguments.</summary>
    public Task<ProcessResult> BuildAsync(params string[] extra) =>
        Cli.BundleAsync(["build", Spec, "-o", Output, "--lock", Lock, "--cache", Cache, .. extra]);

    public Task<ProcessResult> LockAsync(params string[] extra) =>
        Cli.BundleAsync(["lock", Spec, "--lock", Lock, "--cache", Cache, .. extra]);

    public void Dispose() => _dir.Dispose();
}
