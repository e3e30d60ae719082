using System.Text.Json.Serialization;
using Kargo.Airgap.Bundle;
using Kargo.Shared;

namespace Kargo.Bundle;

/// <summary>What kargo-bundle prints with --json: one record per command, the names scripts read.</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(BuildJson))]
[JsonSerializable(typeof(InspectJson))]
[JsonSerializable(typeof(LockPlanJson))]
[JsonSerializable(typeof(IReadOnlyList<LockChangeJson>))]
[JsonSerializable(typeof(KeygenJson))]
[JsonSerializable(typeof(SignJson))]
internal sealed partial class BundleCliJson : JsonSerializerContext;

internal sealed record BuildJson(
    [property: JsonPropertyName("bundle")] string Bundle,
    [property: JsonPropertyName("files")] IReadOnlyList<string> Files,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("images")] int Images,
    [property: JsonPropertyName("entries")] int Entries,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("signature")] string Signature,
    [property: JsonPropertyName("signer")] string? Signer,
    [property: JsonPropertyName("base"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DiffBaseJson? Base,
    [property: JsonPropertyName("blobsFetched")] int BlobsFetched,
    [property: JsonPropertyName("bytesFetched")] long BytesFetched,
    [property: JsonPropertyName("blobsCached")] int BlobsCached,
    [property: JsonPropertyName("installScript")] string? InstallScript);

internal sealed record InspectJson(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("base"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DiffBaseJson? Base,
    [property: JsonPropertyName("platforms")] IReadOnlyList<string> Platforms,
    [property: JsonPropertyName("components")] IReadOnlyList<InspectComponentJson> Components,
    [property: JsonPropertyName("files")] IReadOnlyList<InventoryEntry> Files,
    [property: JsonPropertyName("signature")] string Signature,
    [property: JsonPropertyName("signer"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Signer,
    [property: JsonPropertyName("images")] IReadOnlyList<InspectImageJson> Images,
    [property: JsonPropertyName("charts"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<InventoryChart>? Charts,
    [property: JsonPropertyName("entries")] int Entries,
    [property: JsonPropertyName("totalSize")] long TotalSize,
    [property: JsonPropertyName("fileSize")] long FileSize);

internal sealed record InspectComponentJson(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version);

internal sealed record InspectImageJson(
    [property: JsonPropertyName("reference")] string Reference,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("mediaType")] string MediaType,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("component"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Component,
    [property: JsonPropertyName("foundBy"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? FoundBy,
    [property: JsonPropertyName("platforms")] IReadOnlyList<string> Platforms);

internal sealed record LockPlanJson(
    [property: JsonPropertyName("urls")] IReadOnlyList<string> Urls,
    [property: JsonPropertyName("images")] IReadOnlyList<PlannedImageJson> Images,
    [property: JsonPropertyName("notCached")] IReadOnlyList<string> NotCached,
    [property: JsonPropertyName("hosts")] IReadOnlyList<string> Hosts);

internal sealed record PlannedImageJson(
    [property: JsonPropertyName("reference")] string Reference,
    [property: JsonPropertyName("foundBy")] string FoundBy,
    [property: JsonPropertyName("origin")] string Origin,
    [property: JsonPropertyName("latest")] bool Latest);

internal sealed record LockChangeJson(
    [property: JsonPropertyName("reference")] string Reference,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("previous")] string? Previous,
    [property: JsonPropertyName("changed")] bool Changed,
    [property: JsonPropertyName("foundBy"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? FoundBy,
    [property: JsonPropertyName("origin"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Origin,
    [property: JsonPropertyName("via"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Via,
    [property: JsonPropertyName("warning"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Warning);

internal sealed record KeygenJson(
    [property: JsonPropertyName("privateKey")] string PrivateKey,
    [property: JsonPropertyName("publicKey")] string PublicKey,
    [property: JsonPropertyName("fingerprint")] string Fingerprint);

internal sealed record SignJson(
    [property: JsonPropertyName("files")] IReadOnlyList<string> Files,
    [property: JsonPropertyName("signature")] string Signature,
    [property: JsonPropertyName("signer")] string Signer);
