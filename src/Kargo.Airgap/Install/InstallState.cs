using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kargo.Airgap.Install;

/// <summary>
/// /var/lib/kargo/install-state.json: which steps of which bundle's install have finished, so a
/// re-run resumes at the first unfinished step. A different bundle starts over from the top.
/// </summary>
public sealed class InstallState
{
    public const string FileName = "install-state.json";

    [JsonPropertyName("bundle")]
    public string Bundle { get; set; } = "";

    /// <summary>The sha256 of the bundle's inventory: the identity of what was installed.</summary>
    [JsonPropertyName("inventorySha256")]
    public string InventorySha256 { get; set; } = "";

    [JsonPropertyName("steps")]
    public List<StepRecord> Steps { get; set; } = [];

    public bool IsDone(string step) => Steps.Any(s => s.Name == step && s.Status == StepRecord.Done);

    public StepRecord? Find(string step) => Steps.FirstOrDefault(s => s.Name == step);

    public void Record(StepRecord record)
    {
        Steps.RemoveAll(s => s.Name == record.Name);
        Steps.Add(record);
    }

    public static InstallState Load(string path)
    {
        if (!File.Exists(path))
        {
            return new InstallState();
        }
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), InstallJsonContext.Default.InstallState) ?? new InstallState();
        }
        catch (JsonException e)
        {
            throw new KargoException($"{path} is not a readable install state ({e.Message}); move it away to start the install over");
        }
    }

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllBytes(path, [.. JsonSerializer.SerializeToUtf8Bytes(this, InstallJsonContext.Default.InstallState), (byte)'\n']);
    }
}

public sealed record StepRecord
{
    public const string Done = "done";
    public const string Failed = "failed";

    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("status")]
    public required string Status { get; init; }

    [JsonPropertyName("finishedAt")]
    public required DateTimeOffset FinishedAt { get; init; }

    /// <summary>The options it ran with (<see cref="IInstallStep.Inputs"/>).</summary>
    [JsonPropertyName("inputs")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public string? Inputs { get; init; }

    /// <summary>What the step did (files written, commands run), or why it failed.</summary>
    [JsonPropertyName("details")]
    public IReadOnlyList<string> Details { get; init; } = [];
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(InstallState))]
internal sealed partial class InstallJsonContext : JsonSerializerContext;
