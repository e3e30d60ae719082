using Kargo.Airgap.Bundle;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// Built once for a test class: a real registry with three images, a key pair, another key pair,
/// and the same spec built as a signed bundle, an unsigned one, and a signed one in parts.
/// </summary>
public sealed class SignedBundleFixture : IDisposable
{
    public TestRegistry Registry { get; } = new();
    public Workspace Work { get; } = new();
    public TestImage Layered { get; } = TestImages.Image("signed-layered", layers: 3, layerSize: 300 * 1024);
    public TestImage Multi { get; } = TestImages.Index("signed-multi", ManifestFormat.Oci, "amd64", "arm64");
    public TestImage Docker { get; } = TestImages.Image("signed-docker", ManifestFormat.Docker);

    public string Key => Work["keys/builder.key"];
    public string Pub => Work["keys/builder.pub"];
    public string OtherPub => Work["keys/other.pub"];
    public string Signed => Work["signed.kargo"];
    public string Unsigned => Work["unsigned.kargo"];
    public string Parted => Work["parted.kargo"];
    public const long PartSize = 256 * 1024;

    public SignedBundleFixture()
    {
        using var pusher = new TestPusher(Registry);
        pusher.PushAsync("signed/layered", "1", Layered).GetAwaiter().GetResult();
        pusher.PushAsync("signed/multi", "1", Multi).GetAwaiter().GetResult();
        pusher.PushAsync("signed/docker", "1", Docker).GetAwaiter().GetResult();
        Work.WriteSpec([$"{Registry.Host}/signed/layered:1", $"{Registry.Host}/signed/multi:1", $"{Registry.Host}/signed/docker:1"], name: "signed-test", version: "2.0");
        Directory.CreateDirectory(Work["keys"]);
        SigningKey.Generate(Work["keys/builder"], null);
        SigningKey.Generate(Work["keys/other"], null);
        Run(Cli.BundleAsync("lock", Work.Spec, "--lock", Work.Lock, "--cache", Work.Cache));
        Run(Cli.BundleAsync("build", Work.Spec, "-o", Signed, "--lock", Work.Lock, "--cache", Work.Cache, "--locked", "--key", Key));
        Run(Cli.BundleAsync("build", Work.Spec, "-o", Unsigned, "--lock", Work.Lock, "--cache", Work.Cache, "--locked"));
        Run(Cli.BundleAsync("build", Work.Spec, "-o", Parted, "--lock", Work.Lock, "--cache", Work.Cache, "--locked", "--key", Key, "--split", "256K"));
    }

    private static void Run(Task<ProcessResult> command)
    {
        var result = command.GetAwaiter().GetResult();
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(result.Output);
        }
    }

    /// <summary>A private copy of a bundle (or all its parts) for a test to damage.</summary>
    public string CopyOf(string bundle, TempDir into)
    {
        var name = Path.GetFileName(bundle);
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(bundle)!, name + "*"))
        {
            File.Copy(file, into[Path.GetFileName(file)]);
        }
        return into[name];
    }

    public void Dispose()
    {
        Registry.Dispose();
        Work.Dispose();
    }
}
