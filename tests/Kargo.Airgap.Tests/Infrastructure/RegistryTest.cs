namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>A test with its own real registry (plain HTTP), a pusher for it, and a build workspace.</summary>
public abstract class RegistryTest : IDisposable
{
    protected TestRegistry Registry { get; } = new();
    protected Workspace Work { get; } = new();
    protected TestPusher Pusher { get; }

    protected RegistryTest()
    {
        Pusher = new TestPusher(Registry);
    }

    public void Dispose()
    {
        Pusher.Dispose();
        Registry.Dispose();
        Work.Dispose();
        GC.SuppressFinalize(this);
    }
}
