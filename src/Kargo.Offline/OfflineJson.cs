using System.Text.Json.Serialization;
using Kargo.Shared;

namespace Kargo.Offline;

/// <summary>What kargo-offline prints with --json: one record per command, the names scripts read.</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(VerifyJson))]
[JsonSerializable(typeof(InstallJson))]
[JsonSerializable(typeof(ServeJson))]
[JsonSerializable(typeof(RegistryConfigJson))]
[JsonSerializable(typeof(PushJson))]
[JsonSerializable(typeof(LoadJson))]
[JsonSerializable(typeof(DoctorJson))]
[JsonSerializable(typeof(CheckJson))]
internal sealed partial class OfflineJson : JsonSerializerContext;

internal sealed record VerifyJson(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("files")] IReadOnlyList<string> Files,
    [property: JsonPropertyName("name"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name,
    [property: JsonPropertyName("version"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Version,
    [property: JsonPropertyName("base"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DiffBaseJson? Base,
    [property: JsonPropertyName("signature")] string Signature,
    [property: JsonPropertyName("signer"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Signer,
    [property: JsonPropertyName("entriesVerified")] long EntriesVerified,
    [property: JsonPropertyName("bytesVerified")] long BytesVerified,
    [property: JsonPropertyName("failures")] IReadOnlyList<VerifyFailureJson> Failures);

internal sealed record VerifyFailureJson(
    [property: JsonPropertyName("entry")] string Entry,
    [property: JsonPropertyName("problem")] string Problem);

internal sealed record InstallJson(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("dryRun")] bool DryRun,
    [property: JsonPropertyName("nothingToDo")] bool NothingToDo,
    [property: JsonPropertyName("steps")] IReadOnlyList<InstallStepJson> Steps,
    [property: JsonPropertyName("summary")] IReadOnlyList<string> Summary);

internal sealed record InstallStepJson(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("details")] IReadOnlyList<string> Details,
    [property: JsonPropertyName("seconds"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Seconds);

internal sealed record ServeJson(
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("repositories")] int Repositories,
    [property: JsonPropertyName("registries")] IReadOnlyList<string> Registries);

internal sealed record RegistryConfigJson(
    [property: JsonPropertyName("registries")] IReadOnlyList<string> Registries,
    [property: JsonPropertyName("files")] IReadOnlyList<string> Files);

internal sealed record PushJson(
    [property: JsonPropertyName("registry")] string Registry,
    [property: JsonPropertyName("images")] IReadOnlyList<PushedImageJson> Images);

internal sealed record PushedImageJson(
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("blobsUploaded")] int BlobsUploaded,
    [property: JsonPropertyName("bytesUploaded")] long BytesUploaded,
    [property: JsonPropertyName("blobsMounted")] int BlobsMounted,
    [property: JsonPropertyName("blobsPresent")] int BlobsPresent,
    [property: JsonPropertyName("manifestsWritten")] int ManifestsWritten,
    [property: JsonPropertyName("pruned")] string? Pruned);

internal sealed record LoadJson(
    [property: JsonPropertyName("engine")] string Engine,
    [property: JsonPropertyName("images")] IReadOnlyList<LoadedImageJson> Images);

internal sealed record LoadedImageJson(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("id")] string Id);

internal sealed record DoctorJson(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("os")] string Os,
    [property: JsonPropertyName("osVersion")] string OsVersion,
    [property: JsonPropertyName("family")] string Family,
    [property: JsonPropertyName("bundle"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Bundle,
    [property: JsonPropertyName("checks")] IReadOnlyList<DoctorCheckJson> Checks);

internal sealed record DoctorCheckJson(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("message")] string Message);

internal sealed record CheckJson(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("mirrors")] string Mirrors,
    [property: JsonPropertyName("objects")] int Objects,
    [property: JsonPropertyName("images")] IReadOnlyList<CheckedImageJson> Images,
    [property: JsonPropertyName("problems")] IReadOnlyList<string> Problems,
    [property: JsonPropertyName("notes")] IReadOnlyList<string> Notes);

internal sealed record CheckedImageJson(
    [property: JsonPropertyName("reference")] string Reference,
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("detail")] string Detail,
    [property: JsonPropertyName("namedBy")] IReadOnlyList<string> NamedBy);
