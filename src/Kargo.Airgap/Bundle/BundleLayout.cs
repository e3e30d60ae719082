using Kargo.Airgap.Oci;
using Kargo.Airgap.Spec;

namespace Kargo.Airgap.Bundle;

/// <summary>Where each kind of content lives in a bundle (and in the folder it unpacks to): every entry path is made here.</summary>
public static class BundleLayout
{
    public const string OciFolder = "oci";
    public const string FilesFolder = "files";
    public const string ManifestsFolder = "manifests";
    public const string VmFolder = "vm";
    public const string SpecFolder = "spec";
    public const string BinFolder = "bin";
    public const string ChartsFolder = "charts";

    public const string OciLayoutFile = "oci/oci-layout";
    public const string OciIndex = "oci/index.json";

    /// <summary>The lock the bundle was built from.</summary>
    public const string Lock = "spec/images.lock";

    public static string Blob(Digest digest) => $"oci/blobs/sha256/{digest.Hex}";

    /// <summary>A release asset or spec.files entry.</summary>
    public static string File(string name) => $"{FilesFolder}/{name}";

    public static string Manifest(string name) => $"{ManifestsFolder}/{name}";

    /// <summary>A Helm chart's archive (NAME-VERSION.tgz).</summary>
    public static string Chart(string archiveName) => $"{ChartsFolder}/{archiveName}";

    /// <summary>The values the spec gives a chart, beside its archive.</summary>
    public static string ChartValues(string archiveName) => $"{ChartsFolder}/{Path.GetFileNameWithoutExtension(archiveName)}.values.yaml";

    /// <summary>A VM disk carried as a file (NAME.FORMAT).</summary>
    public static string Disk(string fileName) => $"{VmFolder}/{fileName}";

    /// <summary>The spec, named after metadata.name, which is always a safe entry name (the spec file's own may not be).</summary>
    public static string Spec(string bundleName) => $"{SpecFolder}/{bundleName}.yaml";

    /// <summary>The entry of a spec file of that kind: manifests/NAME, files/NAME or vm/NAME.</summary>
    public static string Entry(SpecFileKind kind, string name) => kind switch
    {
        SpecFileKind.Manifest => Manifest(name),
        SpecFileKind.File => File(name),
        _ => Disk(name),
    };

    /// <summary>Whether an entry path lies in one of the folders above.</summary>
    public static bool IsIn(string path, string folder) => path.StartsWith(folder + "/", StringComparison.Ordinal);

    /// <summary>The path's name within its folder (files/k3s-amd64: k3s-amd64).</summary>
    public static string NameIn(string path, string folder) => IsIn(path, folder) ? path[(folder.Length + 1)..] : path;
}
