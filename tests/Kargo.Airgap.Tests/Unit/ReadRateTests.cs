using Kargo.Airgap.Bundle;

namespace Kargo.Airgap.Tests.Unit;

public sealed class ReadRateTests
{
    [Theory]
    [InlineData(4L << 30, 100e6, "about 43 s (4.0 GiB at 100 MB/s, measured reading and hashing 64 MiB of it)")]
    [InlineData(20L << 30, 30e6, "about 11.9 min (20.0 GiB at 30 MB/s, measured reading and hashing 64 MiB of it)")]
    [InlineData(10L << 20, 400e6, "about 1 s (0.0 GiB at 400 MB/s, measured reading and hashing 10 MiB of it)")]
    public void The_estimate_is_the_size_over_the_measured_rate(long bytes, double rate, string expected) =>
        Assert.Equal(expected, ReadRate.Estimate(bytes, rate));
}
