namespace Kargo.Airgap.Oci;

/// <summary>The manifest and index media types of the OCI image spec and Docker's schema 2.</summary>
public static partial class MediaTypes
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string DockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";
    public const string DockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";

    /// <summary>A Helm chart stored as an OCI artifact (helm's pkg/registry/constants.go): its config, and the chart archive layer (and the type older helm pushed).</summary>
    public const string HelmConfig = "application/vnd.cncf.helm.config.v1+json";
    public const string HelmChartContent = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
    public const string HelmChartContentLegacy = "application/tar+gzip";

    /// <summary>What a puller accepts, as the Accept header of a manifest request.</summary>
    public static readonly IReadOnlyList<string> Manifests = [OciIndex, OciManifest, DockerManifestList, DockerManifest];

    public static bool IsIndex(string mediaType) => mediaType is OciIndex or DockerManifestList;

    public static bool IsManifest(string mediaType) => mediaType is OciManifest or DockerManifest;

    /// <summary>type/subtype as RFC 6838 restricts their names (no parameters, no spaces, no control characters).</summary>
    public static bool IsWellFormed(string mediaType) => MediaTypePattern().IsMatch(mediaType);

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\\z")]
    private static partial System.Text.RegularExpressions.Regex MediaTypePattern();
}
