using System.Text.Json;
using System.Text.Json.Serialization;
using Kargo.Airgap.Oci;

namespace Kargo.Airgap.Bundle;

/// <summary>
/// <c>kargo-bundle.json</c>, the first entry of a bundle: what it is, what it holds, and the
/// size and sha256 of every entry that follows, so a reader can check each as it streams.
/// Nothing in it depends on the time or the machine, so the same lock gives the same bytes.
/// </summary>
public sealed record Inventory
{
    public const int CurrentFormatVersion = 1;

    /// <summary>A bundle by difference (it has a base): a reader that does not know bases must refuse it.</summary>
    public const int DiffFormatVersion = 2;
    public const string EntryName = "kargo-bundle.json";
    public const string SignatureEntryName = "kargo-bundle.json.sig";

    [JsonPropertyName("formatVersion")]
    public int FormatVersion { get; init; } = CurrentFormatVersion;

    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("version")]
    public required string Version { get; init; }

    [JsonPropertyName("platforms")]
    public required IReadOnlyList<string> Platforms { get; init; }

    /// <summary>The fingerprint of the key that signs this inventory (signed bundles only).</summary>
    [JsonPropertyName("signer")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Signer { get; init; }

    /// <summary>The platform components asked for by version (k3s, kubevirt, cdi).</summary>
    [JsonPropertyName("components")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<InventoryComponent>? Components { get; init; }

    /// <summary>The bundle entries holding the spec and the lock it was built from.</summary>
    [JsonPropertyName("source")]
    public required InventorySource Source { get; init; }

    [JsonPropertyName("images")]
    public required IReadOnlyList<InventoryImage> Images { get; init; }

    /// <summary>
    /// spec.manifests' namespace: per manifests/ entry, the namespace of its objects that name none
    /// (upstream applies such files with kubectl -n). Read from a bundle: checked before use.
    /// </summary>
    [JsonPropertyName("manifestNamespaces")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? ManifestNamespaces { get; init; }

    /// <summary>The Helm charts it installs, each a release with its images. Read from a bundle: checked before use.</summary>
    [JsonPropertyName("charts")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<InventoryChart>? Charts { get; init; }

    [JsonPropertyName("entries")]
    public required IReadOnlyList<InventoryEntry> Entries { get; init; }

    /// <summary>For a bundle by difference (--since): the bundle it builds on, and the entries taken from it.</summary>
    [JsonPropertyName("base")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public InventoryBase? Base { get; init; }

    /// <summary>The component under this name (k3s, kubevirt, …), if the bundle carries it.</summary>
    public InventoryComponent? Component(string name) => Components?.FirstOrDefault(c => c.Name == name);

    /// <summary>Bytes of content in the bundle, every entry counted once.</summary>
    [JsonIgnore]
    public long TotalSize => Entries.Sum(e => e.Size);

    public byte[] ToBytes() => [.. JsonSerializer.SerializeToUtf8Bytes(this, BundleJsonContext.Default.Inventory), (byte)'\n'];

    public static Inventory Parse(ReadOnlySpan<byte> content, string source)
    {
        Inventory? inventory;
        try
        {
            inventory = JsonSerializer.Deserialize(content, BundleJsonContext.Default.Inventory);
        }
        catch (JsonException e)
        {
            throw new KargoException($"{source}: the inventory {EntryName} is not valid: {e.Message}", e);
        }
        if (inventory is null)
        {
            throw new KargoException($"{source}: the inventory {EntryName} is empty");
        }
        if (inventory.FormatVersion is not (CurrentFormatVersion or DiffFormatVersion))
        {
            throw new KargoException($"{source}: bundle format version {inventory.FormatVersion} is not supported (this tool reads versions {CurrentFormatVersion} and {DiffFormatVersion}); use a matching kargo release");
        }
        if ((inventory.Base is null) != (inventory.FormatVersion == CurrentFormatVersion))
        {
            throw new KargoException($"{source}: the inventory's format version {inventory.FormatVersion} and its base do not agree: the bundle is damaged");
        }
        if (InventoryRules.Problem(inventory) is { } problem)
        {
            throw new KargoException($"{source}: the inventory's {problem}: the bundle is damaged or was not written by kargo-bundle, and nothing of it is used");
        }
        return inventory;
    }
}

public sealed record InventoryComponent(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("featureGates"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? FeatureGates);

public sealed record InventorySource(
    [property: JsonPropertyName("spec")] string Spec,
    [property: JsonPropertyName("lock")] string Lock);

public sealed record InventoryImage
{
    [JsonPropertyName("reference")]
    public required string Reference { get; init; }

    [JsonPropertyName("digest")]
    public required Digest Digest { get; init; }

    [JsonPropertyName("mediaType")]
    public required string MediaType { get; init; }

    [JsonPropertyName("platforms")]
    public required IReadOnlyList<string> Platforms { get; init; }

    /// <summary>Bytes of all its manifests and blobs, each once (blobs shared with other images included).</summary>
    [JsonPropertyName("size")]
    public required long Size { get; init; }

    /// <summary>The component whose manifests name it (kubevirt, cdi, a manifest's name), or vm for a containerDisk.</summary>
    [JsonPropertyName("component")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Component { get; init; }

    /// <summary>The rule that found it: spec, container-image, image-variable, image-argument, kubevirt-operator, kubevirt-shasum, kubevirt-embedded, vm-containerdisk, datavolume-registry, containerdisk, chart-annotation, chart-values.</summary>
    [JsonPropertyName("foundBy")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FoundBy { get; init; }
}

/// <summary>One Helm chart of a bundle: its archive (and values) entries, the release it installs, and the images it runs.</summary>
public sealed record InventoryChart
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("version")]
    public required string Version { get; init; }

    [JsonPropertyName("releaseName")]
    public required string ReleaseName { get; init; }

    [JsonPropertyName("namespace")]
    public required string Namespace { get; init; }

    /// <summary>charts/NAME-VERSION.tgz.</summary>
    [JsonPropertyName("archive")]
    public required string Archive { get; init; }

    /// <summary>charts/NAME-VERSION.values.yaml, when the spec gives values.</summary>
    [JsonPropertyName("values")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Values { get; init; }

    /// <summary>helm-template (rendered) or chart-conventions (annotation and values; to be checked).</summary>
    [JsonPropertyName("foundBy")]
    public required string FoundBy { get; init; }

    [JsonPropertyName("images")]
    public required IReadOnlyList<string> Images { get; init; }
}

/// <summary>
/// What a bundle by difference builds on: the base bundle's name, version and the sha256 of its
/// inventory (its identity), and the entries of the full bundle it does not carry because the
/// base has them, each of which must be in place before it is unpacked.
/// </summary>
public sealed record InventoryBase(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("inventorySha256")] string InventorySha256,
    [property: JsonPropertyName("entries")] IReadOnlyList<InventoryEntry> Entries)
{
    public override string ToString() => $"{Name} {Version}";
}

public sealed record InventoryEntry(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("sha256")] string Sha256);

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(Inventory))]
internal sealed partial class BundleJsonContext : JsonSerializerContext;
