using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Tests.Unit;

public sealed class ImageReferenceTests
{
    private const string Sha = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("ubuntu", "docker.io/library/ubuntu:latest")]
    [InlineData("ubuntu:24.04", "docker.io/library/ubuntu:24.04")]
    [InlineData("bitnami/redis:7", "docker.io/bitnami/redis:7")]
    [InlineData("docker.io/ubuntu", "docker.io/library/ubuntu:latest")]
    [InlineData("index.docker.io/library/busybox:1.36", "docker.io/library/busybox:1.36")]
    [InlineData("quay.io/kubevirt/virt-operator:v1.3.0", "quay.io/kubevirt/virt-operator:v1.3.0")]
    [InlineData("localhost/app", "localhost/app:latest")]
    [InlineData("localhost:5000/team/app:1", "localhost:5000/team/app:1")]
    [InlineData("127.0.0.1:5000/app:dev", "127.0.0.1:5000/app:dev")]
    [InlineData("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9")]
    [InlineData("ghcr.io/org/sub/path/image:v1.0.0-rc.1", "ghcr.io/org/sub/path/image:v1.0.0-rc.1")]
    [InlineData("ubuntu@" + Sha, "docker.io/library/ubuntu@" + Sha)]
    [InlineData("ubuntu:24.04@" + Sha, "docker.io/library/ubuntu:24.04@" + Sha)]
    public void Normalises_like_docker(string input, string expected)
    {
        Assert.Equal(expected, ImageReference.Parse(input).ToString());
    }

    [Fact]
    public void Splits_registry_repository_tag_and_digest()
    {
        var reference = ImageReference.Parse("localhost:5000/team/app:1@" + Sha);
        Assert.Equal("localhost:5000", reference.Registry);
        Assert.Equal("team/app", reference.Repository);
        Assert.Equal("1", reference.Tag);
        Assert.Equal(Sha, reference.Digest.ToString());
        Assert.Equal(Sha, reference.ManifestReference);
        Assert.Equal("localhost:5000/team/app:1", reference.RefName);
    }

    [Fact]
    public void Docker_hub_is_reached_through_registry_1()
    {
        Assert.Equal("registry-1.docker.io", ImageReference.Parse("busybox").ApiHost);
        Assert.Equal("quay.io", ImageReference.Parse("quay.io/a/b").ApiHost);
    }

    [Theory]
    [InlineData("Ubuntu", "must be lowercase (try 'library/ubuntu')")]
    [InlineData("quay.io/KubeVirt/virt-api", "must be lowercase")]
    [InlineData("", "it is empty")]
    [InlineData("ubuntu@sha256:abc", "is not a digest")]
    [InlineData("ubuntu:-bad", "tag '-bad' is not valid")]
    [InlineData("a//b", "is not valid")]
    [InlineData("app_:1", "is not valid")]
    public void Rejects_bad_references_saying_why(string input, string why)
    {
        var error = Assert.Throws<KargoException>(() => ImageReference.Parse(input));
        Assert.Contains($"'{input}'", error.Message);
        Assert.Contains(why, error.Message);
    }
}
